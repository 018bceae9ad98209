#include "supervisor/control.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace wsup::supervisor;

TEST(ControlProtocol, EveryCommandRoundTrips) {
  std::string error;
  using Kind = ControlCommand::Kind;
  for (ControlCommand c :
       {ControlCommand{Kind::status, -1, "", ""}, ControlCommand{Kind::status_json, -1, "", ""},
        ControlCommand{Kind::restart_worker, 3, "", ""}, ControlCommand{Kind::reload, -1, "", ""},
        ControlCommand{Kind::stop, -1, "", ""}, ControlCommand{Kind::trigger, -1, "cron-app", ""},
        ControlCommand{Kind::trigger, -1, "cron-app", "*/5 * * * MON-FRI"}}) {
    auto parsed = parse_command(encode_command(c), &error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_EQ(*parsed, c);
  }
}

TEST(ControlProtocol, MalformedCommandsAreRejectedWithAReason) {
  std::string error;
  EXPECT_FALSE(parse_command("restart-worker", &error));
  EXPECT_NE(error.find("worker number"), std::string::npos);
  EXPECT_FALSE(parse_command("restart-worker -1", &error));
  EXPECT_FALSE(parse_command("restart-worker 2x", &error));
  EXPECT_FALSE(parse_command("explode", &error));
  EXPECT_NE(error.find("unknown command 'explode'"), std::string::npos);
  EXPECT_FALSE(parse_command("stop now", &error));
  EXPECT_FALSE(parse_command("trigger", &error));
  EXPECT_NE(error.find("script name"), std::string::npos);
}

TEST(ControlProtocol, RepliesRoundTripIncludingMultilineBodies) {
  ControlReply ok{true, "line one\nline two\n"};
  EXPECT_EQ(parse_reply(encode_reply(ok)), ok);
  ControlReply failed{false, "config.yaml:3:1: bad"};
  EXPECT_EQ(parse_reply(encode_reply(failed)), failed);
  EXPECT_FALSE(parse_reply("garbage").ok);
}

TEST(ControlSocket, ServerAnswersOverAnOwnerOnlySocket) {
  std::string path = "/tmp/wsup-control-test-" + std::to_string(::getpid()) + ".sock";
  {
    ControlServer server(path, [](const ControlCommand& c) {
      return ControlReply{true, "worker " + std::to_string(c.worker)};
    });
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ControlReply reply =
        send_control_command(path, {ControlCommand::Kind::restart_worker, 7, "", ""}, 5);
    EXPECT_TRUE(reply.ok);
    EXPECT_EQ(reply.body, "worker 7");
    // A second server on the same live socket must refuse to start.
    EXPECT_THROW(ControlServer(path, [](const ControlCommand&) { return ControlReply{}; }),
                 std::runtime_error);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ControlSocket, ManySequentialCommandsAreAllAnswered) {
  std::string path = "/tmp/wsup-control-many-" + std::to_string(::getpid()) + ".sock";
  int served = 0;
  ControlServer server(path, [&](const ControlCommand&) {
    return ControlReply{true, std::to_string(++served)};
  });
  for (int i = 1; i <= 50; ++i)
    EXPECT_EQ(send_control_command(path, {ControlCommand::Kind::status, -1, "", ""}, 5).body,
              std::to_string(i));
}

TEST(ControlSocket, MissingSupervisorGivesAClearMessage) {
  try {
    send_control_command("/tmp/wsup-nobody-here.sock", {ControlCommand::Kind::status, -1, "", ""},
                         1);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no wsup supervisor is running"), std::string::npos);
  }
}

TEST(ControlSocket, DefaultPathDependsOnTheConfigFile) {
  EXPECT_NE(default_control_path("/a/cluster.yaml"), default_control_path("/b/cluster.yaml"));
  EXPECT_EQ(default_control_path("/a/cluster.yaml"), default_control_path("/a/cluster.yaml"));
}
