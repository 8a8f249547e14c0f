/* Source of the sample kext executables in testdata/kexts (built by make-samples.sh).
 * Defines a kmod_info with the layout of xnu osfmk/mach/kmod.h (packed to 4 bytes). */
#pragma pack(push, 4)
typedef struct kmod_info {
  struct kmod_info *next;
  int info_version;
  unsigned int id;
  char name[64];
  char version[64];
  int reference_count;
  void *reference_list;
  unsigned long address;
  unsigned long size;
  unsigned long hdr_size;
  int (*start)(struct kmod_info *, void *);
  int (*stop)(struct kmod_info *, void *);
} kmod_info_t;
#pragma pack(pop)

#ifndef KEXT_ID
#define KEXT_ID "org.kextkit.sample"
#endif
#ifndef KEXT_VERSION
#define KEXT_VERSION "1.0.0"
#endif

extern void IOLog(const char *fmt, ...);

static int sample_start(kmod_info_t *ki, void *d) {
  (void)d;
  IOLog("%s starting\n", ki->name);
  return 0;
}

static int sample_stop(kmod_info_t *ki, void *d) {
  (void)d;
  IOLog("%s stopping\n", ki->name);
  return 0;
}

__attribute__((used)) kmod_info_t kmod_info = {
    0, 1, 0xffffffffu, KEXT_ID, KEXT_VERSION, -1, 0, 0, 0, 0, sample_start, sample_stop};
