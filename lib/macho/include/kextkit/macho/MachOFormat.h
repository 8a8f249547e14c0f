// On-disk Mach-O and fat (universal) structures and constants, spelled as in Apple's
// <mach/machine.h>, <mach-o/loader.h> and <mach-o/fat.h>. Nothing here reads bytes: the
// structs document layouts and give sizes; views (FatFile.h, MachOFile.h) read the fields
// one by one through io::ByteReader.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kextkit::macho {

// NOLINTBEGIN(readability-identifier-naming): Apple's spelling is kept on purpose.

// ---------------------------------------------------------------------------------------------
// <mach/machine.h>: CPU types and subtypes. cpu_type_t and cpu_subtype_t are signed 32-bit.

/// Apple's cpu_type_t.
using cpu_type_t = int32_t;
/// Apple's cpu_subtype_t.
using cpu_subtype_t = int32_t;

/// Capability bits in a cputype: the 64-bit ABI.
constexpr cpu_type_t CPU_ARCH_ABI64 = 0x01000000;
/// Capability bits in a cputype: the ILP32 ABI on 64-bit hardware (arm64_32).
constexpr cpu_type_t CPU_ARCH_ABI64_32 = 0x02000000;
/// Mask of every capability bit of a cputype.
constexpr cpu_type_t CPU_ARCH_MASK = static_cast<cpu_type_t>(0xff000000);

/// Wildcard cputype (-1): "any CPU", used by mkext1 writers for fat archives.
constexpr cpu_type_t CPU_TYPE_ANY = -1;
constexpr cpu_type_t CPU_TYPE_VAX = 1;
constexpr cpu_type_t CPU_TYPE_MC680x0 = 6;
constexpr cpu_type_t CPU_TYPE_X86 = 7;
constexpr cpu_type_t CPU_TYPE_I386 = CPU_TYPE_X86;  ///< compatibility name
constexpr cpu_type_t CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64;
constexpr cpu_type_t CPU_TYPE_MC98000 = 10;
constexpr cpu_type_t CPU_TYPE_HPPA = 11;
constexpr cpu_type_t CPU_TYPE_ARM = 12;
constexpr cpu_type_t CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64;
constexpr cpu_type_t CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32;
constexpr cpu_type_t CPU_TYPE_MC88000 = 13;
constexpr cpu_type_t CPU_TYPE_SPARC = 14;
constexpr cpu_type_t CPU_TYPE_I860 = 15;
constexpr cpu_type_t CPU_TYPE_POWERPC = 18;
constexpr cpu_type_t CPU_TYPE_POWERPC64 = CPU_TYPE_POWERPC | CPU_ARCH_ABI64;

/// Mask of the capability bits of a cpusubtype (the high byte). arm64e files carry
/// CPU_SUBTYPE_PTRAUTH_ABI here (cpusubtype 0x80000002); x86_64 dylibs may carry
/// CPU_SUBTYPE_LIB64. Matching compares `cpusubtype & ~CPU_SUBTYPE_MASK`.
constexpr cpu_subtype_t CPU_SUBTYPE_MASK = static_cast<cpu_subtype_t>(0xff000000);
/// 64-bit libraries (capability bit).
constexpr cpu_subtype_t CPU_SUBTYPE_LIB64 = static_cast<cpu_subtype_t>(0x80000000);
/// arm64e pointer-authentication ABI (capability bit).
constexpr cpu_subtype_t CPU_SUBTYPE_PTRAUTH_ABI = static_cast<cpu_subtype_t>(0x80000000);

/// Wildcard cpusubtype (-1): "any subtype of this cputype" (the generic arch).
constexpr cpu_subtype_t CPU_SUBTYPE_MULTIPLE = -1;
constexpr cpu_subtype_t CPU_SUBTYPE_LITTLE_ENDIAN = 0;
constexpr cpu_subtype_t CPU_SUBTYPE_BIG_ENDIAN = 1;

// x86: CPU_SUBTYPE_INTEL(f, m) = f + (m << 4).
constexpr cpu_subtype_t CPU_SUBTYPE_I386_ALL = 3;  ///< CPU_SUBTYPE_INTEL(3, 0)
constexpr cpu_subtype_t CPU_SUBTYPE_386 = 3;       ///< CPU_SUBTYPE_INTEL(3, 0)
constexpr cpu_subtype_t CPU_SUBTYPE_486 = 4;
constexpr cpu_subtype_t CPU_SUBTYPE_PENT = 5;
constexpr cpu_subtype_t CPU_SUBTYPE_X86_ALL = 3;
constexpr cpu_subtype_t CPU_SUBTYPE_X86_64_ALL = 3;
constexpr cpu_subtype_t CPU_SUBTYPE_X86_ARCH1 = 4;
constexpr cpu_subtype_t CPU_SUBTYPE_X86_64_H = 8;  ///< Haswell and later

// PowerPC.
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_ALL = 0;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_601 = 1;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_603 = 3;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_604 = 5;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_750 = 9;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_7400 = 10;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_7450 = 11;
constexpr cpu_subtype_t CPU_SUBTYPE_POWERPC_970 = 100;

// 32-bit ARM.
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_ALL = 0;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V4T = 5;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V6 = 6;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V5TEJ = 7;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_XSCALE = 8;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7 = 9;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7F = 10;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7S = 11;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7K = 12;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V8 = 13;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V6M = 14;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7M = 15;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM_V7EM = 16;

// 64-bit ARM.
constexpr cpu_subtype_t CPU_SUBTYPE_ARM64_ALL = 0;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM64_V8 = 1;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM64E = 2;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM64_32_ALL = 0;
constexpr cpu_subtype_t CPU_SUBTYPE_ARM64_32_V8 = 1;

// ---------------------------------------------------------------------------------------------
// <mach-o/fat.h>: the universal header. Every fat field is big-endian on disk; a file whose
// first word reads FAT_CIGAM was written little-endian (rare, but readers accept it).

/// 0xcafebabe, bytes "ca fe ba be" (no ASCII meaning): big-endian fat header, 32-bit fat_arch.
constexpr uint32_t FAT_MAGIC = 0xcafebabe;
/// 0xbebafeca: FAT_MAGIC read with the wrong byte order (a little-endian fat header).
constexpr uint32_t FAT_CIGAM = 0xbebafeca;
/// 0xcafebabf, bytes "ca fe ba bf": fat header followed by 64-bit fat_arch_64 entries.
constexpr uint32_t FAT_MAGIC_64 = 0xcafebabf;
/// 0xbfbafeca: FAT_MAGIC_64 read with the wrong byte order.
constexpr uint32_t FAT_CIGAM_64 = 0xbfbafeca;

/// Largest slice alignment a fat_arch may declare (2^15), as in <mach-o/loader.h> MAXSECTALIGN.
constexpr uint32_t MAXSECTALIGN = 15;

/// struct fat_header (8 bytes).
struct fat_header {
  uint32_t magic;      ///< FAT_MAGIC or FAT_MAGIC_64
  uint32_t nfat_arch;  ///< number of fat_arch (or fat_arch_64) entries that follow
};

/// struct fat_arch (20 bytes): one slice of a FAT_MAGIC file.
struct fat_arch {
  cpu_type_t cputype;
  cpu_subtype_t cpusubtype;
  uint32_t offset;  ///< file offset of the slice
  uint32_t size;    ///< size of the slice
  uint32_t align;   ///< alignment as a power of two (kextcache writes 0)
};

/// struct fat_arch_64 (32 bytes): one slice of a FAT_MAGIC_64 file.
struct fat_arch_64 {
  cpu_type_t cputype;
  cpu_subtype_t cpusubtype;
  uint64_t offset;
  uint64_t size;
  uint32_t align;
  uint32_t reserved;
};

// ---------------------------------------------------------------------------------------------
// <mach-o/loader.h>: thin Mach-O header.

/// 0xfeedface, bytes "fe ed fa ce" in the file's own byte order: 32-bit Mach-O, read in host order.
constexpr uint32_t MH_MAGIC = 0xfeedface;
/// 0xcefaedfe: MH_MAGIC with the other byte order (bytes "ce fa ed fe" on a big-endian read).
constexpr uint32_t MH_CIGAM = 0xcefaedfe;
/// 0xfeedfacf: 64-bit Mach-O ("fe ed fa cf"; little-endian files start "cf fa ed fe").
constexpr uint32_t MH_MAGIC_64 = 0xfeedfacf;
/// 0xcffaedfe: MH_MAGIC_64 with the other byte order.
constexpr uint32_t MH_CIGAM_64 = 0xcffaedfe;

/// struct mach_header (28 bytes).
struct mach_header {
  uint32_t magic;
  cpu_type_t cputype;
  cpu_subtype_t cpusubtype;
  uint32_t filetype;
  uint32_t ncmds;
  uint32_t sizeofcmds;
  uint32_t flags;
};

/// struct mach_header_64 (32 bytes).
struct mach_header_64 {
  uint32_t magic;
  cpu_type_t cputype;
  cpu_subtype_t cpusubtype;
  uint32_t filetype;
  uint32_t ncmds;
  uint32_t sizeofcmds;
  uint32_t flags;
  uint32_t reserved;
};

// File types (mach_header.filetype).
constexpr uint32_t MH_OBJECT = 0x1;       ///< relocatable object: 32-bit and pre-10.6 kexts
constexpr uint32_t MH_EXECUTE = 0x2;      ///< executable, e.g. the kernel
constexpr uint32_t MH_FVMLIB = 0x3;
constexpr uint32_t MH_CORE = 0x4;
constexpr uint32_t MH_PRELOAD = 0x5;
constexpr uint32_t MH_DYLIB = 0x6;
constexpr uint32_t MH_DYLINKER = 0x7;
constexpr uint32_t MH_BUNDLE = 0x8;
constexpr uint32_t MH_DYLIB_STUB = 0x9;
constexpr uint32_t MH_DSYM = 0xa;
constexpr uint32_t MH_KEXT_BUNDLE = 0xb;  ///< x86_64 and arm64 kexts
constexpr uint32_t MH_FILESET = 0xc;      ///< fileset kernelcache (LC_FILESET_ENTRY)

// Header flags (mach_header.flags).
constexpr uint32_t MH_NOUNDEFS = 0x1;
constexpr uint32_t MH_INCRLINK = 0x2;
constexpr uint32_t MH_DYLDLINK = 0x4;
constexpr uint32_t MH_BINDATLOAD = 0x8;
constexpr uint32_t MH_PREBOUND = 0x10;
constexpr uint32_t MH_SPLIT_SEGS = 0x20;
constexpr uint32_t MH_LAZY_INIT = 0x40;
constexpr uint32_t MH_TWOLEVEL = 0x80;
constexpr uint32_t MH_FORCE_FLAT = 0x100;
constexpr uint32_t MH_NOMULTIDEFS = 0x200;
constexpr uint32_t MH_NOFIXPREBINDING = 0x400;
constexpr uint32_t MH_PREBINDABLE = 0x800;
constexpr uint32_t MH_ALLMODSBOUND = 0x1000;
constexpr uint32_t MH_SUBSECTIONS_VIA_SYMBOLS = 0x2000;
constexpr uint32_t MH_CANONICAL = 0x4000;
constexpr uint32_t MH_WEAK_DEFINES = 0x8000;
constexpr uint32_t MH_BINDS_TO_WEAK = 0x10000;
constexpr uint32_t MH_ALLOW_STACK_EXECUTION = 0x20000;
constexpr uint32_t MH_ROOT_SAFE = 0x40000;
constexpr uint32_t MH_SETUID_SAFE = 0x80000;
constexpr uint32_t MH_NO_REEXPORTED_DYLIBS = 0x100000;
constexpr uint32_t MH_PIE = 0x200000;
constexpr uint32_t MH_DEAD_STRIPPABLE_DYLIB = 0x400000;
constexpr uint32_t MH_HAS_TLV_DESCRIPTORS = 0x800000;
constexpr uint32_t MH_NO_HEAP_EXECUTION = 0x1000000;
constexpr uint32_t MH_APP_EXTENSION_SAFE = 0x02000000;
constexpr uint32_t MH_NLIST_OUTOFSYNC_WITH_DYLDINFO = 0x04000000;
constexpr uint32_t MH_SIM_SUPPORT = 0x08000000;
constexpr uint32_t MH_DYLIB_IN_CACHE = 0x80000000;

// ---------------------------------------------------------------------------------------------
// Load commands.

/// struct load_command (8 bytes): the header every load command starts with.
struct load_command {
  uint32_t cmd;
  uint32_t cmdsize;  ///< whole command including this header; a multiple of 4 (32-bit) or 8 (64-bit)
};

/// Set in cmd for commands dyld must understand.
constexpr uint32_t LC_REQ_DYLD = 0x80000000;

constexpr uint32_t LC_SEGMENT = 0x1;
constexpr uint32_t LC_SYMTAB = 0x2;
constexpr uint32_t LC_SYMSEG = 0x3;
constexpr uint32_t LC_THREAD = 0x4;
constexpr uint32_t LC_UNIXTHREAD = 0x5;
constexpr uint32_t LC_LOADFVMLIB = 0x6;
constexpr uint32_t LC_IDFVMLIB = 0x7;
constexpr uint32_t LC_IDENT = 0x8;
constexpr uint32_t LC_FVMFILE = 0x9;
constexpr uint32_t LC_PREPAGE = 0xa;
constexpr uint32_t LC_DYSYMTAB = 0xb;
constexpr uint32_t LC_LOAD_DYLIB = 0xc;
constexpr uint32_t LC_ID_DYLIB = 0xd;
constexpr uint32_t LC_LOAD_DYLINKER = 0xe;
constexpr uint32_t LC_ID_DYLINKER = 0xf;
constexpr uint32_t LC_PREBOUND_DYLIB = 0x10;
constexpr uint32_t LC_ROUTINES = 0x11;
constexpr uint32_t LC_SUB_FRAMEWORK = 0x12;
constexpr uint32_t LC_SUB_UMBRELLA = 0x13;
constexpr uint32_t LC_SUB_CLIENT = 0x14;
constexpr uint32_t LC_SUB_LIBRARY = 0x15;
constexpr uint32_t LC_TWOLEVEL_HINTS = 0x16;
constexpr uint32_t LC_PREBIND_CKSUM = 0x17;
constexpr uint32_t LC_LOAD_WEAK_DYLIB = 0x18 | LC_REQ_DYLD;
constexpr uint32_t LC_SEGMENT_64 = 0x19;
constexpr uint32_t LC_ROUTINES_64 = 0x1a;
constexpr uint32_t LC_UUID = 0x1b;
constexpr uint32_t LC_RPATH = 0x1c | LC_REQ_DYLD;
constexpr uint32_t LC_CODE_SIGNATURE = 0x1d;
constexpr uint32_t LC_SEGMENT_SPLIT_INFO = 0x1e;
constexpr uint32_t LC_REEXPORT_DYLIB = 0x1f | LC_REQ_DYLD;
constexpr uint32_t LC_LAZY_LOAD_DYLIB = 0x20;
constexpr uint32_t LC_ENCRYPTION_INFO = 0x21;
constexpr uint32_t LC_DYLD_INFO = 0x22;
constexpr uint32_t LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD;
constexpr uint32_t LC_LOAD_UPWARD_DYLIB = 0x23 | LC_REQ_DYLD;
constexpr uint32_t LC_VERSION_MIN_MACOSX = 0x24;
constexpr uint32_t LC_VERSION_MIN_IPHONEOS = 0x25;
constexpr uint32_t LC_FUNCTION_STARTS = 0x26;
constexpr uint32_t LC_DYLD_ENVIRONMENT = 0x27;
constexpr uint32_t LC_MAIN = 0x28 | LC_REQ_DYLD;
constexpr uint32_t LC_DATA_IN_CODE = 0x29;
constexpr uint32_t LC_SOURCE_VERSION = 0x2a;
constexpr uint32_t LC_DYLIB_CODE_SIGN_DRS = 0x2b;
constexpr uint32_t LC_ENCRYPTION_INFO_64 = 0x2c;
constexpr uint32_t LC_LINKER_OPTION = 0x2d;
constexpr uint32_t LC_LINKER_OPTIMIZATION_HINT = 0x2e;
constexpr uint32_t LC_VERSION_MIN_TVOS = 0x2f;
constexpr uint32_t LC_VERSION_MIN_WATCHOS = 0x30;
constexpr uint32_t LC_NOTE = 0x31;
constexpr uint32_t LC_BUILD_VERSION = 0x32;
constexpr uint32_t LC_DYLD_EXPORTS_TRIE = 0x33 | LC_REQ_DYLD;
constexpr uint32_t LC_DYLD_CHAINED_FIXUPS = 0x34 | LC_REQ_DYLD;
constexpr uint32_t LC_FILESET_ENTRY = 0x35 | LC_REQ_DYLD;
constexpr uint32_t LC_ATOM_INFO = 0x36;

/// struct segment_command (56 bytes): LC_SEGMENT, followed by nsects `section`s.
struct segment_command {
  uint32_t cmd;
  uint32_t cmdsize;
  char segname[16];
  uint32_t vmaddr;
  uint32_t vmsize;
  uint32_t fileoff;
  uint32_t filesize;
  int32_t maxprot;
  int32_t initprot;
  uint32_t nsects;
  uint32_t flags;
};

/// struct segment_command_64 (72 bytes): LC_SEGMENT_64, followed by nsects `section_64`s.
struct segment_command_64 {
  uint32_t cmd;
  uint32_t cmdsize;
  char segname[16];
  uint64_t vmaddr;
  uint64_t vmsize;
  uint64_t fileoff;
  uint64_t filesize;
  int32_t maxprot;
  int32_t initprot;
  uint32_t nsects;
  uint32_t flags;
};

/// struct section (68 bytes).
struct section {
  char sectname[16];
  char segname[16];
  uint32_t addr;
  uint32_t size;
  uint32_t offset;
  uint32_t align;
  uint32_t reloff;
  uint32_t nreloc;
  uint32_t flags;
  uint32_t reserved1;
  uint32_t reserved2;
};

/// struct section_64 (80 bytes).
struct section_64 {
  char sectname[16];
  char segname[16];
  uint64_t addr;
  uint64_t size;
  uint32_t offset;
  uint32_t align;
  uint32_t reloff;
  uint32_t nreloc;
  uint32_t flags;
  uint32_t reserved1;
  uint32_t reserved2;
  uint32_t reserved3;
};

/// struct symtab_command (24 bytes): LC_SYMTAB.
struct symtab_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t symoff;
  uint32_t nsyms;
  uint32_t stroff;
  uint32_t strsize;
};

/// struct dysymtab_command (80 bytes): LC_DYSYMTAB.
struct dysymtab_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t ilocalsym;
  uint32_t nlocalsym;
  uint32_t iextdefsym;
  uint32_t nextdefsym;
  uint32_t iundefsym;
  uint32_t nundefsym;
  uint32_t tocoff;
  uint32_t ntoc;
  uint32_t modtaboff;
  uint32_t nmodtab;
  uint32_t extrefsymoff;
  uint32_t nextrefsyms;
  uint32_t indirectsymoff;
  uint32_t nindirectsyms;
  uint32_t extreloff;
  uint32_t nextrel;
  uint32_t locreloff;
  uint32_t nlocrel;
};

/// struct uuid_command (24 bytes): LC_UUID.
struct uuid_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint8_t uuid[16];
};

/// struct linkedit_data_command (16 bytes): LC_CODE_SIGNATURE, LC_FUNCTION_STARTS,
/// LC_DATA_IN_CODE, LC_SEGMENT_SPLIT_INFO, LC_DYLD_EXPORTS_TRIE, LC_DYLD_CHAINED_FIXUPS, ...
struct linkedit_data_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t dataoff;
  uint32_t datasize;
};

/// struct version_min_command (16 bytes): LC_VERSION_MIN_*.
struct version_min_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t version;  ///< X.Y.Z as xxxx.yy.zz nibbles
  uint32_t sdk;
};

/// struct build_version_command (24 bytes): LC_BUILD_VERSION, followed by ntools build_tool_version.
struct build_version_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t platform;
  uint32_t minos;
  uint32_t sdk;
  uint32_t ntools;
};

/// struct source_version_command (16 bytes): LC_SOURCE_VERSION.
struct source_version_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint64_t version;
};

/// struct dyld_info_command (48 bytes): LC_DYLD_INFO and LC_DYLD_INFO_ONLY.
struct dyld_info_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t rebase_off;
  uint32_t rebase_size;
  uint32_t bind_off;
  uint32_t bind_size;
  uint32_t weak_bind_off;
  uint32_t weak_bind_size;
  uint32_t lazy_bind_off;
  uint32_t lazy_bind_size;
  uint32_t export_off;
  uint32_t export_size;
};

/// struct entry_point_command (24 bytes): LC_MAIN.
struct entry_point_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint64_t entryoff;
  uint64_t stacksize;
};

/// struct fileset_entry_command (32 bytes): LC_FILESET_ENTRY, followed by the entry id string.
struct fileset_entry_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint64_t vmaddr;
  uint64_t fileoff;
  uint32_t entry_id;  ///< union lc_str: offset of the id string from the command start
  uint32_t reserved;
};

/// struct dylib_command (24 bytes): LC_LOAD_DYLIB and friends, followed by the name.
struct dylib_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t name_offset;  ///< union lc_str
  uint32_t timestamp;
  uint32_t current_version;
  uint32_t compatibility_version;
};

/// struct thread_command (8 bytes + flavor/count/state words): LC_THREAD, LC_UNIXTHREAD.
struct thread_command {
  uint32_t cmd;
  uint32_t cmdsize;
};

/// struct encryption_info_command (20 bytes): LC_ENCRYPTION_INFO.
struct encryption_info_command {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t cryptoff;
  uint32_t cryptsize;
  uint32_t cryptid;
};

/// struct encryption_info_command_64 (24 bytes): LC_ENCRYPTION_INFO_64.
struct encryption_info_command_64 {
  uint32_t cmd;
  uint32_t cmdsize;
  uint32_t cryptoff;
  uint32_t cryptsize;
  uint32_t cryptid;
  uint32_t pad;
};

/// struct nlist (12 bytes): a 32-bit symbol table entry.
struct nlist {
  uint32_t n_strx;
  uint8_t n_type;
  uint8_t n_sect;
  int16_t n_desc;
  uint32_t n_value;
};

/// struct nlist_64 (16 bytes): a 64-bit symbol table entry.
struct nlist_64 {
  uint32_t n_strx;
  uint8_t n_type;
  uint8_t n_sect;
  uint16_t n_desc;
  uint64_t n_value;
};

// NOLINTEND(readability-identifier-naming)

static_assert(sizeof(fat_header) == 8);
static_assert(sizeof(fat_arch) == 20);
static_assert(sizeof(fat_arch_64) == 32);
static_assert(sizeof(mach_header) == 28);
static_assert(sizeof(mach_header_64) == 32);
static_assert(sizeof(load_command) == 8);
static_assert(sizeof(segment_command) == 56);
static_assert(sizeof(segment_command_64) == 72);
static_assert(sizeof(section) == 68);
static_assert(sizeof(section_64) == 80);
static_assert(sizeof(symtab_command) == 24);
static_assert(sizeof(dysymtab_command) == 80);
static_assert(sizeof(uuid_command) == 24);
static_assert(sizeof(linkedit_data_command) == 16);
static_assert(sizeof(version_min_command) == 16);
static_assert(sizeof(build_version_command) == 24);
static_assert(sizeof(source_version_command) == 16);
static_assert(sizeof(dyld_info_command) == 48);
static_assert(sizeof(entry_point_command) == 24);
static_assert(sizeof(fileset_entry_command) == 32);
static_assert(sizeof(dylib_command) == 24);
static_assert(sizeof(encryption_info_command) == 20);
static_assert(sizeof(encryption_info_command_64) == 24);
static_assert(sizeof(nlist) == 12);
static_assert(sizeof(nlist_64) == 16);

/// Apple's name for a load command ("LC_SEGMENT_64"), or nullopt for an unknown cmd.
std::optional<std::string_view> loadCommandName(uint32_t cmd);

/// Apple's name for a file type ("MH_KEXT_BUNDLE"), or nullopt for an unknown value.
std::optional<std::string_view> fileTypeName(uint32_t filetype);

/// The smallest cmdsize a known load command can have (the size of its fixed structure,
/// e.g. 0x48 for LC_SEGMENT_64), or nullopt for commands kextkit does not know.
std::optional<uint32_t> loadCommandMinSize(uint32_t cmd);

}  // namespace kextkit::macho
