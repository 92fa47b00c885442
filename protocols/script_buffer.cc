#include "protocols/script_buffer.h"

namespace dbsnap {

void ScriptBuffer::feed(std::string_view bytes) {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    scan_ -= pos_;
    if (stmt_ != kNone) stmt_ -= pos_;
    pos_ = 0;
  }
  buf_.append(bytes);
}

}  // namespace dbsnap
