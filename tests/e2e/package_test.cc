// The Debian package (cmake/WsupPackage.cmake), as an operator gets it: built with cpack from this
// build tree, unpacked with `dpkg -x` into a temporary root, and serving hello world from there
// with nothing of the build tree (its wsup-worker and libnode are the package's, checked in
// /proc). The shipped unit passes `systemd-analyze verify`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"
#include "tests/support/eventually.h"

using namespace wsup::e2e;
using wsup::testing::eventually;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(Package, UnpackedDebServesHelloWorldWithNothingFromTheBuildTree) {
  TempDir dir;
  const fs::path out = dir.path() / "out", root = dir.path() / "root";
  CommandResult pack =
      run_command({WSUP_CPACK, "--config", WSUP_CPACK_CONFIG, "-B", out.string()}, 300s);
  ASSERT_EQ(pack.exit_code, 0) << pack.output;
  const fs::path deb = out / ("wsup_" WSUP_PROJECT_VERSION "_amd64.deb");
  ASSERT_TRUE(fs::exists(deb)) << pack.output;

  // The control data: runtime Depends only, the maintainer scripts, /etc as conffiles.
  CommandResult depends = run_command({WSUP_DPKG_DEB, "--field", deb.string(), "Depends"});
  EXPECT_NE(depends.output.find("libuv1"), std::string::npos) << depends.output;
  EXPECT_EQ(depends.output.find("-dev"), std::string::npos) << depends.output;
  EXPECT_EQ(depends.output.find("libnode"), std::string::npos) << "libnode is private";
  const fs::path control = dir.path() / "control";
  ASSERT_EQ(run_command({WSUP_DPKG_DEB, "--control", deb.string(), control.string()}).exit_code, 0);
  EXPECT_NE(read_file(control / "postinst").find("adduser --system"), std::string::npos);
  EXPECT_NE(read_file(control / "conffiles").find("/etc/wsup/cluster.yaml"), std::string::npos);

  CommandResult unpack = run_command({WSUP_DPKG, "-x", deb.string(), root.string()}, 120s);
  ASSERT_EQ(unpack.exit_code, 0) << unpack.output;
  const fs::path wsup = root / "usr/bin/wsup", worker = root / "usr/lib/wsup/wsup-worker",
                 libnode = root / "usr/lib/wsup/libnode.so.108";
  for (const fs::path& p :
       {wsup, worker, libnode, root / "etc/wsup/cluster.yaml", root / "etc/wsup/hello.js",
        root / "usr/lib/systemd/system/wsup.service"})
    EXPECT_TRUE(fs::exists(p)) << p;

  // The unit as shipped, with its binary paths pointed into the unpacked root (systemd-analyze
  // checks that they are executables): no error and no warning. setup installs systemd.
  std::string unit = read_file(root / "usr/lib/systemd/system/wsup.service");
  // (The replacement ends in /usr/bin/wsup too: search on after it.)
  for (size_t at = unit.find("/usr/bin/wsup"); at != std::string::npos;
       at = unit.find("/usr/bin/wsup", at + wsup.string().size()))
    unit.replace(at, 13, wsup.string());
  const fs::path unit_copy = dir.path() / "wsup.service";
  std::ofstream(unit_copy) << unit;
  CommandResult verify =
      run_command({WSUP_SYSTEMD_ANALYZE, "verify", "--man=no", unit_copy.string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(verify.output, "") << "warnings about the shipped unit";

  // The shipped config is valid, as `ExecStartPre=wsup check` will find it.
  CommandResult check =
      run_command({wsup.string(), "check", (root / "etc/wsup/cluster.yaml")}, 60s);
  EXPECT_EQ(check.exit_code, 0) << check.output;

  // Serve the shipped hello.js on a free port, from the unpacked tree only.
  uint16_t port = free_port();
  std::string shipped = read_file(root / "etc/wsup/cluster.yaml");
  ASSERT_NE(shipped.find("listen: 127.0.0.1:8080"), std::string::npos) << shipped;
  shipped.replace(shipped.find("127.0.0.1:8080"), 14, "127.0.0.1:" + std::to_string(port));
  const std::string control_socket = (dir.path() / "control.sock").string();
  shipped.replace(shipped.find("/run/wsup/control.sock"), 22, control_socket);
  shipped.replace(shipped.find("workers: auto"), 13, "workers: 1");
  const fs::path config = root / "etc/wsup/test.yaml";
  std::ofstream(config) << shipped;
  Supervisor supervisor(wsup.string(), {"start", config.string()}, control_socket,
                        (dir.path() / "wsup.log").string());
  ASSERT_TRUE(supervisor.wait_serving(port, 60s)) << supervisor.log();
  HttpResult hello = http_get(port, "/");
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "Hello from wsup\n");

  // The worker that answered is the package's binary with the package's libnode.
  int worker_pid = worker_pids(supervisor)[0];
  ASSERT_GT(worker_pid, 0) << supervisor.log();
  const fs::path proc = "/proc/" + std::to_string(worker_pid);
  EXPECT_EQ(fs::read_symlink(proc / "exe"), worker);
  std::string maps = read_file(proc / "maps");
  EXPECT_NE(maps.find(libnode.string()), std::string::npos) << maps.substr(0, 2000);
  EXPECT_EQ(maps.find(WSUP_BUILD_DIR), std::string::npos) << "maps something of the build tree";
  EXPECT_EQ(maps.find("build/deps/libnode"), std::string::npos);
}

// `cmake --install --prefix DIR`: the same layout under any prefix, config in DIR/etc/wsup, and
// the tree works where it was put (`wsup check` runs the installed worker on the installed
// config).
TEST(Package, InstallIntoAnyPrefixGivesAWorkingTree) {
  TempDir dir;
  const fs::path prefix = dir.path() / "opt/wsup";
  CommandResult install =
      run_command({WSUP_CMAKE, "--install", WSUP_BUILD_DIR, "--prefix", prefix.string()}, 120s);
  ASSERT_EQ(install.exit_code, 0) << install.output;
  for (const fs::path& p :
       {prefix / "bin/wsup", prefix / "lib/wsup/wsup-worker", prefix / "lib/wsup/libnode.so.108",
        prefix / "etc/wsup/cluster.yaml", prefix / "lib/systemd/system/wsup.service"})
    EXPECT_TRUE(fs::exists(p)) << p;
  CommandResult ldd = run_command({WSUP_LDD, (prefix / "lib/wsup/wsup-worker").string()});
  EXPECT_NE(ldd.output.find("libnode.so.108 => " + (prefix / "lib/wsup/libnode.so.108").string()),
            std::string::npos)
      << ldd.output;
  CommandResult check = run_command(
      {(prefix / "bin/wsup").string(), "check", (prefix / "etc/wsup/cluster.yaml").string()}, 60s);
  EXPECT_EQ(check.exit_code, 0) << check.output;
}
