// Ports on 127.0.0.1 for tests that start servers: a free one to hand to a process that cannot
// bind port 0 and report it, and probes for when it accepts. A free port can be taken by
// another process before it is used: callers that care retry with a new one.
#pragma once

#include <chrono>

namespace junction::test {

int free_port();
// A socket listening on 127.0.0.1 at a port the kernel chose, for test servers written on raw
// sockets; its port goes to *port. -1 if it could not listen.
int listen_on_loopback(int* port, int backlog = 64);
bool port_open(int port);
// Polls until `port` accepts a connection or `timeout` passes; whether it did.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace junction::test
