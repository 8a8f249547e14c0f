// kextkit-bench: prints speed figures for kextkit's building blocks. Not a test.
//
// Usage: kextkit-bench SUBCOMMAND [options]; `kextkit-bench --help` lists the subcommands.
// To add one (mkext packing, kextstat end to end, ...): write Bench<Name>.cpp defining
// `Subcommand add<Name>(CLI::App&)`, declare it in Bench.h and list it in kSubcommands below.
#include <cstdio>
#include <ctime>

#include "Bench.h"

namespace kextkit::bench {

void Timing::addOptions(CLI::App* cmd) {
  cmd->add_option("--repeat", repeat, "runs per measurement; the fastest is reported")
      ->check(CLI::Range(1u, 1000u));
  cmd->add_flag("--cpu-time", cpuTime,
                "measure thread CPU time instead of wall-clock time (for busy machines)");
}

double Timing::best(const std::function<void()>& fn, const std::function<void()>& untimed) const {
  auto now = [this] {
    if (cpuTime) {
      timespec ts{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  double best = 0;
  for (unsigned k = 0; k < repeat; ++k) {
    if (untimed) untimed();
    double start = now();
    fn();
    double t = now() - start;
    if (k == 0 || t < best) best = t;
  }
  return best;
}

std::string Timing::describe() const {
  return "best of " + std::to_string(repeat) + (repeat == 1 ? " run" : " runs") +
         (cpuTime ? ", thread CPU time" : ", wall clock");
}

std::vector<uint8_t> loadInput(const std::string& path, uint64_t limit, std::string& error) {
  auto file = io::MappedFile::open(path);
  if (!file) {
    error = file.error().describe();
    return {};
  }
  io::Bytes b = file->bytes();
  if (limit != 0 && limit < b.size()) b = b.first(static_cast<size_t>(limit));
  return std::vector<uint8_t>(b.begin(), b.end());
}

}  // namespace kextkit::bench

namespace {

const kextkit::bench::AddSubcommand kSubcommands[] = {
    &kextkit::bench::addCodecs,
    &kextkit::bench::addKexts,
    &kextkit::bench::addMkext,
    &kextkit::bench::addKextstat,
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kextkit-bench: speed figures for kextkit (a benchmark program, not a test)"};
  app.require_subcommand(1);
  std::vector<kextkit::bench::Subcommand> subcommands;
  for (auto add : kSubcommands) subcommands.push_back(add(app));
  CLI11_PARSE(app, argc, argv);
  for (const auto& s : subcommands)
    if (s.command->parsed()) return s.run();
  return 2;
}
