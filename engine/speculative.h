// Speculative decoding's two pure rules, kept apart from the engine so their tests are exact:
//
// - The accept/reject rule (Leviathan et al. 2023, "Fast Inference from Transformers via
//   Speculative Decoding", Algorithm 1): a drafted token d, drawn from the drafter's distribution
//   q, is kept with probability min(1, p(d)/q(d)) where p is the target's distribution after the
//   request's sampling filters; on rejection the token is drawn from norm(max(0, p - q)). The
//   emitted token is then distributed exactly as p, whatever q is. A drafter that proposes one
//   token with certainty (prompt lookup, a greedy draft) has q = a point mass on d: keep d with
//   probability p(d), else draw from p without d, which is the same as drawing t ~ p and keeping
//   d iff t == d (the engine does that for point masses; greedy is the case p = a point mass).
// - The adaptive draft length: how many tokens to draft next from how the last drafts fared, and
//   when to stop drafting for a while because acceptance is too low to pay for the verify.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace junction {

// The target's distribution after filters, as (probability, token) pairs; probabilities sum to
// about 1 (they are renormalized here), tokens not listed have probability 0.
using SparseDistribution = std::span<const std::pair<float, int32_t>>;

struct SpeculativeChoice {
  int32_t token = 0;
  bool accepted = false;  // token is the drafted one
};

// One position of the rule. p: the target's distribution; q: the drafter's distribution over the
// whole vocabulary ([vocab], sums to 1), q[draft] > 0. u_accept and u_resample: independent
// uniform draws in [0, 1).
SpeculativeChoice speculative_choice(SparseDistribution p, std::span<const float> q, int32_t draft,
                                     double u_accept, double u_resample);

struct DraftLengthConfig {
  int64_t max_length = 8;  // --draft-max
  // The first draft: one token, so a drafter that is always wrong costs a two-token verify
  // before it pauses (a verify of k tokens costs more than a decode step: see bench/README.md).
  int64_t start_length = 1;
  // Acceptance (accepted / drafted) is tracked as an exponential moving average with this weight
  // on the newest round; when it drops below min_rate, drafting pauses.
  double ema_weight = 0.3;
  double min_rate = 0.3;
  double start_rate = 0.5;  // the average's value at the start
  // After a pause drafting resumes with one token and this average, so one more miss pauses
  // again: a probe costs a two-token verify, not a full draft.
  double resume_rate = 0.4;
  int64_t pause_steps = 16;  // first pause, in decode steps; each further pause doubles it
  int64_t max_pauses = 5;    // after this many pauses drafting stays off for the sequence
};

// Per sequence. The length grows (doubles) after a round whose drafts were all accepted and
// shrinks to one more than the accepted count after a round that was cut short: a round's verify
// costs about a decode step plus a little per drafted token, so drafting past the likely first
// miss wastes the little, and a long run of hits earns a longer draft.
class DraftLength {
 public:
  explicit DraftLength(DraftLengthConfig config = {});

  // Tokens to draft this decode step (0: do not draft now); counts the step toward a pause.
  int64_t next();
  // The round that `next` allowed drafted `drafted` tokens (> 0) and the target kept `accepted`.
  void observe(int64_t drafted, int64_t accepted);

  bool off() const { return n_pauses_ > config_.max_pauses; }
  double rate() const { return rate_; }
  int64_t length() const { return length_; }

 private:
  DraftLengthConfig config_;
  int64_t length_;  // tokens to draft next, 1 .. max_length
  double rate_;
  int64_t paused_for_ = 0;  // decode steps left in the current pause
  int64_t n_pauses_ = 0;
};

}  // namespace junction
