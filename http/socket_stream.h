// A blocking socket descriptor as Beast's SyncReadStream and SyncWriteStream. Asio's own
// synchronous operations answer EAGAIN by polling with no timeout, which makes SO_RCVTIMEO and
// SO_SNDTIMEO useless; these call recv()/sendmsg() directly and report an expired socket
// timeout as beast::error::timeout. Used by the listener (http_server.cc) and the gateway's
// plain-http upstream connections.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstddef>

namespace junction::http {

class SocketStream {
 public:
  explicit SocketStream(int fd) : fd_(fd) {}

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    const boost::asio::mutable_buffer b = *boost::asio::buffer_sequence_begin(buffers);
    for (;;) {
      const ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) {
        ec = boost::asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? boost::system::error_code(boost::beast::error::timeout)
               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    iovec iov[16];
    size_t n_iov = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && n_iov < 16; ++it) {
      const boost::asio::const_buffer b = *it;
      if (b.size() == 0) continue;
      iov[n_iov++] = {const_cast<void*>(b.data()), b.size()};
    }
    if (n_iov == 0) return 0;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n_iov;
    for (;;) {
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? boost::system::error_code(boost::beast::error::timeout)
               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    boost::system::error_code ec;
    const size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_;
};

}  // namespace junction::http
