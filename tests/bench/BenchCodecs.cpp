// `kextkit-bench codecs FILE [--size N] [--repeat K]`: for every codec in compress::allCodecs(),
// encode and decode speed and the compression ratio on FILE (or its first N bytes), plus
// adler32 speed. Each result is checked to round-trip before it is printed.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "Bench.h"
#include "ReferenceLzss.h"
#include "kextkit/compress/Adler32.h"
#include "kextkit/compress/Codec.h"
#include "kextkit/compress/Lzvn.h"

namespace kextkit::bench {

namespace {

struct Options {
  std::string file;
  uint64_t size = 0;
  Timing timing;
};

int runCodecs(const Options& opt) {
  std::string error;
  std::vector<uint8_t> input = loadInput(opt.file, opt.size, error);
  if (!error.empty()) {
    std::fprintf(stderr, "kextkit-bench: error: %s\n", error.c_str());
    return 1;
  }
  std::printf("input: %s, %s%llu bytes; %s; MB = 10^6 bytes\n\n", opt.file.c_str(),
              opt.size != 0 && opt.size == input.size() ? "first " : "",
              static_cast<unsigned long long>(input.size()), opt.timing.describe().c_str());
  std::printf("%-8s %12s %12s %14s %8s\n", "codec", "encode MB/s", "decode MB/s", "compressed",
              "ratio");
  int status = 0;
  std::vector<uint8_t> lzvnPacked;  // kept for the decode-into-a-buffer row below
  for (const compress::Codec& c : compress::allCodecs()) {
    // Results are freed and checked outside the timed region.
    std::vector<uint8_t> packed;
    double enc = opt.timing.best([&] { packed = c.encode(input); },
                                 [&] { std::vector<uint8_t>().swap(packed); });
    std::optional<Expected<std::vector<uint8_t>>> out;
    double dec = opt.timing.best(
        [&] { out.emplace(c.decode(packed, input.size(), compress::kDefaultMaxDecodedSize)); },
        [&] { out.reset(); });
    bool roundTrips = out->ok() && **out == input;
    std::string failure = out->ok() ? "" : out->error().describe();
    double ratio = packed.empty() ? 0.0 : static_cast<double>(input.size()) / packed.size();
    std::printf("%-8.*s %12.1f %12.1f %14llu %8.4f%s\n", static_cast<int>(c.name.size()),
                c.name.data(), mbPerSecond(input.size(), enc), mbPerSecond(input.size(), dec),
                static_cast<unsigned long long>(packed.size()), ratio,
                roundTrips ? "" : "  ROUND TRIP FAILED");
    if (!roundTrips) {
      if (!failure.empty()) std::fprintf(stderr, "kextkit-bench: %.*s: %s\n",
                                         static_cast<int>(c.name.size()), c.name.data(),
                                         failure.c_str());
      status = 1;
    }
    if (c.id == compress::CodecId::Lzvn) lzvnPacked = std::move(packed);
  }
  // Apple's encoder algorithm on the same input, as the yardstick for the LZSS ratio.
  {
    std::vector<uint8_t> packed;
    double enc = opt.timing.best([&] { packed = referenceLzssEncode(input); },
                                 [&] { std::vector<uint8_t>().swap(packed); });
    auto out = compress::codec(compress::CodecId::Lzss).decode(packed, input.size(), compress::kDefaultMaxDecodedSize);
    bool roundTrips = out.ok() && *out == input;
    std::printf("%-8s %12.1f %12s %14llu %8.4f%s\n", "lzss-ref", mbPerSecond(input.size(), enc),
                "-", static_cast<unsigned long long>(packed.size()),
                packed.empty() ? 0.0 : static_cast<double>(input.size()) / packed.size(),
                roundTrips ? "" : "  ROUND TRIP FAILED");
    std::printf("(lzss-ref: Apple's binary-tree encoder algorithm, for comparison; decoded by "
                "kextkit's lzss)\n");
    if (!roundTrips) status = 1;
  }
  // The decoders above allocate their output, so their figures include zero-filling and
  // page-faulting it; Apple's lzvn_decode_buffer writes into the caller's buffer. The same
  // decode into a buffer that is already mapped:
  {
    std::vector<uint8_t> out(input.size());
    bool ok = true;
    double t = opt.timing.best([&] { ok = compress::lzvnDecodeInto(out, 0, lzvnPacked).ok(); });
    ok = ok && out == input;
    std::printf("%-8s %12s %12.1f   (decode into a reused, already mapped buffer)%s\n", "lzvn", "-",
                mbPerSecond(input.size(), t), ok ? "" : "  ROUND TRIP FAILED");
    if (!ok) status = 1;
  }
  uint32_t sum = 0;
  double t = opt.timing.best([&] { sum = compress::adler32(input); });
  std::printf("\n%-8s %12.1f MB/s (checksum %08x)\n", "adler32", mbPerSecond(input.size(), t),
              sum);
  return status;
}

}  // namespace

Subcommand addCodecs(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("codecs", "encode/decode speed and ratio of every codec");
  cmd->add_option("FILE", opt->file, "input file (e.g. a large ELF)")->required();
  cmd->add_option("--size", opt->size, "use only the first N bytes (0: the whole file)");
  opt->timing.addOptions(cmd);
  return {cmd, [opt] { return runCodecs(*opt); }};
}

}  // namespace kextkit::bench
