// A connection's input bytes: a buffer the socket reads into directly. Unlike a std::string
// resized before each read, making room never writes the room (no zero-fill of the read chunk),
// and consumed bytes are dropped by moving only the unconsumed tail to the front.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace postfork::node::transport {

class InputBuffer {
 public:
  InputBuffer() = default;
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_.get(), size_}; }

  // Room for at least `n` more bytes after size(), uninitialized; fill it, then Commit.
  char* Prepare(size_t n) {
    if (capacity_ - size_ < n) Grow(size_ + n);
    return data_.get() + size_;
  }
  // The first `n` bytes of the room Prepare returned now hold input.
  void Commit(size_t n) { size_ += n; }
  // Drops the first `n` bytes.
  void Consume(size_t n) {
    if (n == 0) return;
    size_ -= n;
    if (size_ > 0) std::memmove(data_.get(), data_.get() + n, size_);
  }

 private:
  void Grow(size_t at_least) {
    size_t capacity = capacity_ == 0 ? at_least : capacity_ * 2;
    if (capacity < at_least) capacity = at_least;
    std::unique_ptr<char[]> grown(new char[capacity]);  // uninitialized, on purpose
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace postfork::node::transport
