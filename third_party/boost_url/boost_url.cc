// Boost.URL is used header-only: this is its one compiled translation unit in the whole
// program (worker/web parses IPv6 with it, worker/egress parses and resolves URLs). A second
// copy of src.hpp anywhere else would define its symbols twice.
#include <boost/url/src.hpp>
