// Names and fixed sizes of Mach-O constants, for messages and load-command checks.
#include "kextkit/macho/MachOFormat.h"

namespace kextkit::macho {

std::optional<std::string_view> loadCommandName(uint32_t cmd) {
  switch (cmd) {
    case LC_SEGMENT: return "LC_SEGMENT";
    case LC_SYMTAB: return "LC_SYMTAB";
    case LC_SYMSEG: return "LC_SYMSEG";
    case LC_THREAD: return "LC_THREAD";
    case LC_UNIXTHREAD: return "LC_UNIXTHREAD";
    case LC_LOADFVMLIB: return "LC_LOADFVMLIB";
    case LC_IDFVMLIB: return "LC_IDFVMLIB";
    case LC_IDENT: return "LC_IDENT";
    case LC_FVMFILE: return "LC_FVMFILE";
    case LC_PREPAGE: return "LC_PREPAGE";
    case LC_DYSYMTAB: return "LC_DYSYMTAB";
    case LC_LOAD_DYLIB: return "LC_LOAD_DYLIB";
    case LC_ID_DYLIB: return "LC_ID_DYLIB";
    case LC_LOAD_DYLINKER: return "LC_LOAD_DYLINKER";
    case LC_ID_DYLINKER: return "LC_ID_DYLINKER";
    case LC_PREBOUND_DYLIB: return "LC_PREBOUND_DYLIB";
    case LC_ROUTINES: return "LC_ROUTINES";
    case LC_SUB_FRAMEWORK: return "LC_SUB_FRAMEWORK";
    case LC_SUB_UMBRELLA: return "LC_SUB_UMBRELLA";
    case LC_SUB_CLIENT: return "LC_SUB_CLIENT";
    case LC_SUB_LIBRARY: return "LC_SUB_LIBRARY";
    case LC_TWOLEVEL_HINTS: return "LC_TWOLEVEL_HINTS";
    case LC_PREBIND_CKSUM: return "LC_PREBIND_CKSUM";
    case LC_LOAD_WEAK_DYLIB: return "LC_LOAD_WEAK_DYLIB";
    case LC_SEGMENT_64: return "LC_SEGMENT_64";
    case LC_ROUTINES_64: return "LC_ROUTINES_64";
    case LC_UUID: return "LC_UUID";
    case LC_RPATH: return "LC_RPATH";
    case LC_CODE_SIGNATURE: return "LC_CODE_SIGNATURE";
    case LC_SEGMENT_SPLIT_INFO: return "LC_SEGMENT_SPLIT_INFO";
    case LC_REEXPORT_DYLIB: return "LC_REEXPORT_DYLIB";
    case LC_LAZY_LOAD_DYLIB: return "LC_LAZY_LOAD_DYLIB";
    case LC_ENCRYPTION_INFO: return "LC_ENCRYPTION_INFO";
    case LC_DYLD_INFO: return "LC_DYLD_INFO";
    case LC_DYLD_INFO_ONLY: return "LC_DYLD_INFO_ONLY";
    case LC_LOAD_UPWARD_DYLIB: return "LC_LOAD_UPWARD_DYLIB";
    case LC_VERSION_MIN_MACOSX: return "LC_VERSION_MIN_MACOSX";
    case LC_VERSION_MIN_IPHONEOS: return "LC_VERSION_MIN_IPHONEOS";
    case LC_FUNCTION_STARTS: return "LC_FUNCTION_STARTS";
    case LC_DYLD_ENVIRONMENT: return "LC_DYLD_ENVIRONMENT";
    case LC_MAIN: return "LC_MAIN";
    case LC_DATA_IN_CODE: return "LC_DATA_IN_CODE";
    case LC_SOURCE_VERSION: return "LC_SOURCE_VERSION";
    case LC_DYLIB_CODE_SIGN_DRS: return "LC_DYLIB_CODE_SIGN_DRS";
    case LC_ENCRYPTION_INFO_64: return "LC_ENCRYPTION_INFO_64";
    case LC_LINKER_OPTION: return "LC_LINKER_OPTION";
    case LC_LINKER_OPTIMIZATION_HINT: return "LC_LINKER_OPTIMIZATION_HINT";
    case LC_VERSION_MIN_TVOS: return "LC_VERSION_MIN_TVOS";
    case LC_VERSION_MIN_WATCHOS: return "LC_VERSION_MIN_WATCHOS";
    case LC_NOTE: return "LC_NOTE";
    case LC_BUILD_VERSION: return "LC_BUILD_VERSION";
    case LC_DYLD_EXPORTS_TRIE: return "LC_DYLD_EXPORTS_TRIE";
    case LC_DYLD_CHAINED_FIXUPS: return "LC_DYLD_CHAINED_FIXUPS";
    case LC_FILESET_ENTRY: return "LC_FILESET_ENTRY";
    case LC_ATOM_INFO: return "LC_ATOM_INFO";
    default: return std::nullopt;
  }
}

std::optional<std::string_view> fileTypeName(uint32_t filetype) {
  switch (filetype) {
    case MH_OBJECT: return "MH_OBJECT";
    case MH_EXECUTE: return "MH_EXECUTE";
    case MH_FVMLIB: return "MH_FVMLIB";
    case MH_CORE: return "MH_CORE";
    case MH_PRELOAD: return "MH_PRELOAD";
    case MH_DYLIB: return "MH_DYLIB";
    case MH_DYLINKER: return "MH_DYLINKER";
    case MH_BUNDLE: return "MH_BUNDLE";
    case MH_DYLIB_STUB: return "MH_DYLIB_STUB";
    case MH_DSYM: return "MH_DSYM";
    case MH_KEXT_BUNDLE: return "MH_KEXT_BUNDLE";
    case MH_FILESET: return "MH_FILESET";
    default: return std::nullopt;
  }
}

std::optional<uint32_t> loadCommandMinSize(uint32_t cmd) {
  // Sizes of the fixed structures in <mach-o/loader.h>; variable parts (section tables,
  // strings, thread states, tool lists) follow them and are checked by their decoders.
  switch (cmd) {
    case LC_SEGMENT: return sizeof(segment_command);
    case LC_SEGMENT_64: return sizeof(segment_command_64);
    case LC_SYMTAB: return sizeof(symtab_command);
    case LC_DYSYMTAB: return sizeof(dysymtab_command);
    case LC_UUID: return sizeof(uuid_command);
    case LC_THREAD:
    case LC_UNIXTHREAD: return sizeof(thread_command);
    case LC_LOAD_DYLIB:
    case LC_ID_DYLIB:
    case LC_LOAD_WEAK_DYLIB:
    case LC_REEXPORT_DYLIB:
    case LC_LAZY_LOAD_DYLIB:
    case LC_LOAD_UPWARD_DYLIB: return sizeof(dylib_command);
    case LC_CODE_SIGNATURE:
    case LC_SEGMENT_SPLIT_INFO:
    case LC_FUNCTION_STARTS:
    case LC_DATA_IN_CODE:
    case LC_DYLIB_CODE_SIGN_DRS:
    case LC_LINKER_OPTIMIZATION_HINT:
    case LC_DYLD_EXPORTS_TRIE:
    case LC_DYLD_CHAINED_FIXUPS:
    case LC_ATOM_INFO: return sizeof(linkedit_data_command);
    case LC_VERSION_MIN_MACOSX:
    case LC_VERSION_MIN_IPHONEOS:
    case LC_VERSION_MIN_TVOS:
    case LC_VERSION_MIN_WATCHOS: return sizeof(version_min_command);
    case LC_BUILD_VERSION: return sizeof(build_version_command);
    case LC_SOURCE_VERSION: return sizeof(source_version_command);
    case LC_DYLD_INFO:
    case LC_DYLD_INFO_ONLY: return sizeof(dyld_info_command);
    case LC_MAIN: return sizeof(entry_point_command);
    case LC_FILESET_ENTRY: return sizeof(fileset_entry_command);
    case LC_ENCRYPTION_INFO: return sizeof(encryption_info_command);
    case LC_ENCRYPTION_INFO_64: return sizeof(encryption_info_command_64);
    default: return std::nullopt;
  }
}

}  // namespace kextkit::macho
