/* Whether KVM really runs guests here. /dev/kvm may exist and create VMs
 * yet fail to run them (nested virtualization without full support: "KVM
 * internal error", and QEMU then hangs), so the probe runs a vCPU over a
 * few instructions of real-mode code (fninit, as OVMF's first steps do,
 * then hlt) and wants to see it halt. */
#include "hv/hv.h"

#ifdef __linux__
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static bool kvm_runs_code(int kvm)
{
    static const unsigned char code[] = {0x9b, 0xdb, 0xe3, 0xf4}; /* fninit; hlt */
    const long page = 0x1000;
    bool ok = false;
    int vm = -1, cpu = -1;
    void *mem = MAP_FAILED, *run = MAP_FAILED;
    long run_size = 0;

    if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
        goto out;
    mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        goto out;
    memcpy(mem, code, sizeof(code));
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = page, .memory_size = page, .userspace_addr = (uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ||
        (cpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
        (run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
        goto out;
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
    if (run == MAP_FAILED)
        goto out;
    struct kvm_sregs sregs;
    struct kvm_regs regs = {.rip = (uint64_t)page, .rflags = 2};
    if (ioctl(cpu, KVM_GET_SREGS, &sregs) < 0)
        goto out;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(cpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0 ||
        ioctl(cpu, KVM_RUN, 0) < 0)
        goto out;
    ok = ((struct kvm_run *)run)->exit_reason == KVM_EXIT_HLT;
out:
    if (run != MAP_FAILED)
        munmap(run, (size_t)run_size);
    if (mem != MAP_FAILED)
        munmap(mem, page);
    if (cpu >= 0)
        close(cpu);
    if (vm >= 0)
        close(vm);
    return ok;
}

bool hv_kvm_usable(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    bool ok =
        kvm >= 0 && ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION && kvm_runs_code(kvm);

    if (kvm >= 0)
        close(kvm);
    return ok;
}
#else
bool hv_kvm_usable(void)
{
    return false;
}
#endif
