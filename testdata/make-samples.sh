#!/usr/bin/env bash
# Regenerates the sample kext executables under testdata/kexts from testdata/src.
# Needs clang, ld64.lld-14 and llvm-lipo-14 (Debian: clang-14, lld-14, llvm-14; override with
# LD64=... LIPO=...). The outputs are checked in,
# so nothing else in the build or the tests runs this script.
#
# - Sample.kext: x86_64 MH_KEXT_BUNDLE. ld64.lld cannot emit kexts, so it links an MH_BUNDLE
#   with undefined symbols left for the kernel linker and the filetype is set to
#   MH_KEXT_BUNDLE (0xb), as Apple's ld -kext would mark it.
# - Legacy.kext: fat i386 + x86_64 MH_OBJECT, the 10.5/10.6-era kext form.
# - Family.kext/Contents/PlugIns/Child.kext: x86_64 kext with an x86_64 plugin.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cflags=(-Os -fno-stack-protector -fno-builtin -mkernel -fno-common -Wall)

kext_bundle() {  # out id version
  clang -target x86_64-apple-macosx10.9 "${cflags[@]}" -DKEXT_ID="\"$2\"" -DKEXT_VERSION="\"$3\"" \
    -c src/sample_kext.c -o "$tmp/k.o"
  "${LD64:-ld64.lld-14}" -arch x86_64 -bundle -platform_version macos 10.9 10.9 -undefined dynamic_lookup \
    "$tmp/k.o" -o "$1"
  # mach_header_64.filetype (offset 12): MH_BUNDLE (8) -> MH_KEXT_BUNDLE (0xb).
  printf '\x0b' | dd of="$1" bs=1 seek=12 conv=notrunc status=none
}

kext_bundle kexts/Sample.kext/Contents/MacOS/Sample org.kextkit.driver.Sample 1.2.3
kext_bundle kexts/Family.kext/Contents/MacOS/Family org.kextkit.family.Family 2.0.0
kext_bundle kexts/Family.kext/Contents/PlugIns/Child.kext/Contents/MacOS/Child org.kextkit.driver.Child 2.0.0

clang -target i386-apple-macosx10.5 "${cflags[@]}" -DKEXT_ID='"org.kextkit.driver.Legacy"' \
  -DKEXT_VERSION='"1.0.0"' -c src/sample_kext.c -o "$tmp/l32.o"
clang -target x86_64-apple-macosx10.6 "${cflags[@]}" -DKEXT_ID='"org.kextkit.driver.Legacy"' \
  -DKEXT_VERSION='"1.0.0"' -c src/sample_kext.c -o "$tmp/l64.o"
"${LIPO:-llvm-lipo-14}" -create "$tmp/l32.o" "$tmp/l64.o" -output kexts/Legacy.kext/Contents/MacOS/Legacy
