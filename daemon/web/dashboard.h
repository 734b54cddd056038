// The dashboard page (daemon/web/dashboard.html, HTML with its CSS and JavaScript inline),
// built into the binary by CMake (daemon/web/embed.cmake) so there is nothing to install and
// nothing fetched from elsewhere. Constant data; any thread.
#pragma once

#include <string_view>

namespace oscbridge::daemon::web {

extern const std::string_view dashboard_html;

}  // namespace oscbridge::daemon::web
