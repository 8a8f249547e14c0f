#!/usr/bin/env python3
"""Writes testdata/kexts-libs: a tiny repository for kextutil and kextlibs tests.

- System.kext: a System.kext look-alike. Its flat plugins are kernel components
  (OSKernelResource) whose executables only carry symbol tables: undefined (N_UNDF) and
  indirect (N_INDR) entries naming the kernel symbols each KPI re-exports, like Apple's
  com.apple.kpi.* pseudo-kexts. They are fat i386 + x86_64.
- Widget.kext: a library kext (OSBundleCompatibleVersion) exporting N_SECT symbols.
- Gadget.kext: an x86_64 driver whose OSBundleLibraries are exactly what it uses.
- FatGadget.kext: an i386 + x86_64 driver that needs com.apple.kpi.mach on i386 only.
- Orphan.kext: a driver referencing a symbol no library defines.

Every executable is written here from scratch (no compiler needed); the output is checked in
and nothing in the build runs this script. Run it from anywhere: it writes next to itself.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "kexts-libs")

CPU_TYPE_X86 = 7
CPU_TYPE_X86_64 = 0x01000007
CPU_SUBTYPE_X86_ALL = 3
MH_OBJECT = 0x1
MH_KEXT_BUNDLE = 0xB
LC_SEGMENT = 0x1
LC_SYMTAB = 0x2
LC_SEGMENT_64 = 0x19
N_UNDF, N_EXT, N_SECT, N_INDR = 0x0, 0x1, 0xE, 0xA


def align8(v):
    return (v + 7) & ~7


def kmod_info(is64, name, version):
    """struct kmod_info (xnu osfmk/mach/kmod.h, packed to 4)."""
    n = name.encode().ljust(64, b"\0")
    v = version.encode().ljust(64, b"\0")
    if is64:
        return struct.pack("<QiI", 0, 1, 0xFFFFFFFF) + n + v + struct.pack("<iQQQQQQ", -1, 0, 0, 0, 0, 0, 0)
    return struct.pack("<IiI", 0, 1, 0xFFFFFFFF) + n + v + struct.pack("<iIIIIII", -1, 0, 0, 0, 0, 0, 0)


def macho(is64, cputype, filetype, sections, symbols):
    """A little-endian thin Mach-O: one segment holding `sections` [(seg, sect, addr, data)], then
    LC_SYMTAB. `symbols` are (name, n_type, n_sect, n_value, indirect_name)."""
    hdr = 32 if is64 else 28
    seg_size = (72 if is64 else 56) + len(sections) * (80 if is64 else 68)
    cmds = seg_size + 24
    pos = align8(hdr + cmds)
    offsets = []
    for s in sections:
        offsets.append(pos)
        pos = align8(pos + len(s[3]))
    strtab = bytearray(b"\0")

    def intern(name):
        at = len(strtab)
        strtab.extend(name.encode() + b"\0")
        return at

    entries = []
    for name, ntype, nsect, value, indirect in symbols:
        strx = intern(name)
        if indirect:
            value = intern(indirect)
        entries.append((strx, ntype, nsect, value))
    sym_pos = pos
    pos = align8(pos + len(entries) * (16 if is64 else 12))
    str_pos = pos
    pos += len(strtab)
    out = bytearray(pos)
    magic = 0xFEEDFACF if is64 else 0xFEEDFACE
    struct.pack_into("<IiiIIII", out, 0, magic, cputype, CPU_SUBTYPE_X86_ALL, filetype, 2, cmds, 0)
    c = hdr
    vmsize = max([s[2] + len(s[3]) for s in sections] + [0])
    fileoff = offsets[0] if sections else 0
    filesize = (sym_pos - fileoff) if sections else 0
    segname = (sections[0][0] if sections else "__LINKEDIT").encode().ljust(16, b"\0")
    if is64:
        struct.pack_into("<II16sQQQQiiII", out, c, LC_SEGMENT_64, seg_size, segname, 0, vmsize, fileoff, filesize,
                         7, 7, len(sections), 0)
        sh = c + 72
    else:
        struct.pack_into("<II16sIIIIiiII", out, c, LC_SEGMENT, seg_size, segname, 0, vmsize, fileoff, filesize,
                         7, 7, len(sections), 0)
        sh = c + 56
    for (seg, sect, addr, data), off in zip(sections, offsets):
        if is64:
            struct.pack_into("<16s16sQQIIIIIIII", out, sh, sect.encode().ljust(16, b"\0"),
                             seg.encode().ljust(16, b"\0"), addr, len(data), off, 3, 0, 0, 0, 0, 0, 0)
            sh += 80
        else:
            struct.pack_into("<16s16sIIIIIIIII", out, sh, sect.encode().ljust(16, b"\0"),
                             seg.encode().ljust(16, b"\0"), addr, len(data), off, 2, 0, 0, 0, 0, 0)
            sh += 68
        out[off:off + len(data)] = data
    c += seg_size
    struct.pack_into("<IIIIII", out, c, LC_SYMTAB, 24, sym_pos, len(entries), str_pos, len(strtab))
    for i, (strx, ntype, nsect, value) in enumerate(entries):
        if is64:
            struct.pack_into("<IBBhQ", out, sym_pos + 16 * i, strx, ntype, nsect, 0, value)
        else:
            struct.pack_into("<IBBhI", out, sym_pos + 12 * i, strx, ntype, nsect, 0, value)
    out[str_pos:str_pos + len(strtab)] = strtab
    return bytes(out)


def fat(slices):
    """A big-endian FAT_MAGIC file, slices packed after the table (align 0)."""
    out = bytearray(struct.pack(">II", 0xCAFEBABE, len(slices)))
    pos = 8 + 20 * len(slices)
    for cputype, data in slices:
        out += struct.pack(">iiIII", cputype, CPU_SUBTYPE_X86_ALL, pos, len(data), 0)
        pos += len(data)
    for _, data in slices:
        out += data
    return bytes(out)


def undefined(names):
    return [(n, N_UNDF | N_EXT, 0, 0, None) for n in names]


def pseudo_kext(names, indirect=()):
    """A kernel component's symbol set, fat i386 + x86_64."""
    syms = undefined(names) + [(n, N_INDR | N_EXT, 0, 0, target) for n, target in indirect]
    return fat([(CPU_TYPE_X86, macho(False, CPU_TYPE_X86, MH_OBJECT, [], syms)),
                (CPU_TYPE_X86_64, macho(True, CPU_TYPE_X86_64, MH_KEXT_BUNDLE, [], syms))])


def kext_binary(is64, ident, version, exports=(), refs=()):
    """A kext executable: __DATA,__data with kmod_info (and __TEXT,__text for exported code)."""
    sections = [("__TEXT", "__text", 0x0, b"\xc3" * 16), ("__DATA", "__data", 0x100, kmod_info(is64, ident, version))]
    syms = [("_kmod_info", N_SECT | N_EXT, 2, 0x100, None)]
    syms += [(n, N_SECT | N_EXT, 1, 4 * i, None) for i, n in enumerate(exports)]
    syms += undefined(refs)
    cputype = CPU_TYPE_X86_64 if is64 else CPU_TYPE_X86
    return macho(is64, cputype, MH_KEXT_BUNDLE if is64 else MH_OBJECT, sections, syms)


def plist(entries):
    body = ""
    for key, value in entries:
        body += "\t<key>%s</key>\n" % key
        if value is True:
            body += "\t<true/>\n"
        elif isinstance(value, dict):
            body += "\t<dict>\n"
            for k, v in value.items():
                body += "\t\t<key>%s</key>\n\t\t<string>%s</string>\n" % (k, v)
            body += "\t</dict>\n"
        else:
            body += "\t<string>%s</string>\n" % value
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            '<plist version="1.0">\n<dict>\n' + body + "</dict>\n</plist>\n")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def pseudo(name, ident, compat, names, indirect=()):
    base = os.path.join(OUT, "System.kext/PlugIns", name + ".kext")
    write(os.path.join(base, "Info.plist"), plist([
        ("CFBundleExecutable", name), ("CFBundleIdentifier", ident), ("CFBundleName", name + " Pseudoextension"),
        ("CFBundlePackageType", "KEXT"), ("CFBundleVersion", "13.1.0"), ("OSBundleCompatibleVersion", compat),
        ("OSBundleRequired", "Root"), ("OSKernelResource", True)]))
    write(os.path.join(base, name), pseudo_kext(names, indirect))


def driver(name, ident, version, libs, binary, extra=()):
    base = os.path.join(OUT, name + ".kext/Contents")
    write(os.path.join(base, "Info.plist"), plist([
        ("CFBundleExecutable", name), ("CFBundleIdentifier", ident), ("CFBundlePackageType", "KEXT"),
        ("CFBundleVersion", version)] + list(extra) + [("OSBundleLibraries", libs)]))
    write(os.path.join(base, "MacOS", name), binary)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    write(os.path.join(OUT, "System.kext/Info.plist"), plist([
        ("CFBundleIdentifier", "com.apple.kernel"), ("CFBundleName", "System Resource Pseudoextension"),
        ("CFBundlePackageType", "KEXT"), ("CFBundleVersion", "13.1.0"), ("OSBundleCompatibleVersion", "13.1.0"),
        ("OSBundleRequired", "Root"), ("OSKernelResource", True)]))
    pseudo("Libkern", "com.apple.kpi.libkern", "8.0.0b1", ["_OSMalloc", "_OSFree"], [("_OSMalloc_noblock", "_OSMalloc_nowait")])
    pseudo("IOKit", "com.apple.kpi.iokit", "7.0", ["_IOLog", "__ZN9IOService5startEPS_"])
    pseudo("Mach", "com.apple.kpi.mach", "8.0.0", ["_thread_block", "_clock_get_uptime"])
    pseudo("Private", "com.apple.kpi.private", "8.0.0b1", ["_IOLog", "_kernel_debug_private"])
    pseudo("Unsupported", "com.apple.kpi.unsupported", "8.0.0b1", ["_OSMalloc", "_unsupported_thing"])
    driver("Widget", "org.kextkit.family.Widget", "2.1.0",
           {"com.apple.kpi.iokit": "13.0", "com.apple.kpi.libkern": "13.0"},
           kext_binary(True, "org.kextkit.family.Widget", "2.1.0", ["_WidgetDoThing", "_WidgetHelper"],
                       ["_IOLog", "_OSMalloc"]),
           [("OSBundleCompatibleVersion", "1.0")])
    driver("Gadget", "org.kextkit.driver.Gadget", "1.0.0",
           {"com.apple.kpi.iokit": "13.0", "com.apple.kpi.libkern": "13.0", "org.kextkit.family.Widget": "2.0"},
           kext_binary(True, "org.kextkit.driver.Gadget", "1.0.0", [], ["_IOLog", "_OSMalloc", "_WidgetDoThing"]))
    driver("FatGadget", "org.kextkit.driver.FatGadget", "1.0.0",
           {"com.apple.kpi.iokit": "13.0", "com.apple.kpi.libkern": "13.0", "com.apple.kpi.mach": "13.0"},
           fat([(CPU_TYPE_X86, kext_binary(False, "org.kextkit.driver.FatGadget", "1.0.0", [],
                                           ["_IOLog", "_OSMalloc", "_thread_block"])),
                (CPU_TYPE_X86_64, kext_binary(True, "org.kextkit.driver.FatGadget", "1.0.0", [],
                                              ["_IOLog", "_OSMalloc"]))]))
    driver("Orphan", "org.kextkit.driver.Orphan", "1.0.0", {"com.apple.kpi.iokit": "13.0"},
           kext_binary(True, "org.kextkit.driver.Orphan", "1.0.0", [],
                       ["_IOLog", "_NoSuchSymbol", "_kernel_debug_private"]))


if __name__ == "__main__":
    main()
