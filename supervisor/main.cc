// wsup: the supervisor and its command-line interface.
#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "help";
  if (command == "--version" || command == "version") {
    std::printf("wsup 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr, "wsup: '%.*s' is not available yet; only 'wsup --version' works so far\n",
               static_cast<int>(command.size()), command.data());
  return 2;
}
