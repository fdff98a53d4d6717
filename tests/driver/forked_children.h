// Runs a test body in forked children, as prefork workers run: each child calls `body` and exits
// with its return value (0 for success, any other value names the step that failed). The parent
// waits for all of them and records a gtest failure for each child that did not exit 0.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

namespace postfork::testing {

template <class Body>
void ExpectForkedChildrenSucceed(int children, Body body) {
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(body());
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "child " << pid << " did not exit";
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "child " << pid << " failed at step " << WEXITSTATUS(status);
  }
}

}  // namespace postfork::testing
