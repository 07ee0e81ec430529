//! Process hardening done once at startup: lock memory so secrets never reach swap, and
//! disable core dumps so they never reach disk.

/// Locks all current and future memory unless disabled, and turns off core dumps. Fails
/// (refusing to start) if locking is wanted but impossible, as Vault does.
pub fn harden(disable_mlock: bool) -> Result<(), String> {
    // SAFETY: plain syscalls with valid arguments; no memory is handed to the kernel.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            tracing::warn!("could not disable core dumps (setrlimit RLIMIT_CORE)");
        }
        #[cfg(target_os = "linux")]
        if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 {
            tracing::warn!("could not mark the process non-dumpable (prctl PR_SET_DUMPABLE)");
        }
    }
    if disable_mlock {
        return Ok(());
    }
    // MCL_ONFAULT locks pages as they are first touched rather than at once: every page that
    // holds data is still locked before anything is written to it, but address space that is
    // only reserved (mimalloc reserves a 1 GiB arena) is not faulted in. Without it, locking
    // cost 1 GiB of resident memory at idle. Kernels before 4.4 lack it: lock everything there.
    // SAFETY: mlockall takes only flags.
    #[cfg(target_os = "linux")]
    let rc = unsafe {
        let rc = libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT);
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
            libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE)
        } else {
            rc
        }
    };
    // SAFETY: mlockall takes only flags.
    #[cfg(not(target_os = "linux"))]
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        return Err(format!(
            "Failed to lock memory: {err}\n\n\
             This usually means that the mlock syscall is not available.\n\
             Arca uses mlock to prevent memory from being swapped to\n\
             disk. This requires root privileges as well as a machine\n\
             that supports mlock. Please enable mlock on your system or\n\
             disable Arca from using it. To disable Arca from using it,\n\
             set the `disable_mlock` configuration option in your configuration\n\
             file."
        ));
    }
    Ok(())
}
