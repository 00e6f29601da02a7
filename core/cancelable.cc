#include "core/cancelable.h"

namespace od::core {
namespace {
class Completed final : public Cancelable {
 public:
  void cancel() override {}
};
}  // namespace

CancelablePtr completedHandle() { return std::make_unique<Completed>(); }

}  // namespace od::core
