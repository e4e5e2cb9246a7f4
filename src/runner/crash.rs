//! The measuring child's crash handler: when native code (llama.cpp, ggml)
//! kills the child with a signal, write where it happened to stderr before the
//! process dies, so the parent can say "SIGSEGV in ggml_backend_amx_mul_mat
//! during pp512" instead of "killed by signal 11".
//!
//! Lines written (the parent reads them from the child's stderr):
//!   `edgebench-crash: signal=11 name=SIGSEGV`   (first, written without allocating;
//!                                               ` sender=PID` when another process sent it)
//!   `edgebench-crash-frame: #3 ggml_nbytes`     (every frame, innermost first)
//!   `edgebench-crash-at: ggml_nbytes`           (innermost meaningful frame)
//!
//! Symbolizing allocates, which a signal handler should not do; the child is
//! dying anyway, and an alarm bounds a handler that deadlocks in malloc. The
//! default action is restored and the signal raised again, so the parent (and a
//! core dump) still see the original signal.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

pub const CRASH_PREFIX: &str = "edgebench-crash: ";
pub const FRAME_PREFIX: &str = "edgebench-crash-frame: ";
pub const AT_PREFIX: &str = "edgebench-crash-at: ";

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
];
const ALT_STACK_BYTES: usize = 256 * 1024;
const MAX_FRAMES: usize = 48;

static HANDLING: AtomicBool = AtomicBool::new(false);

/// Installs the handler for the fatal signals (child process only).
pub fn install() {
    unsafe {
        // Its own stack, so a stack overflow on the main thread is reported too.
        let stack = Box::leak(vec![0u8; ALT_STACK_BYTES].into_boxed_slice());
        let alt = libc::stack_t {
            ss_sp: stack.as_mut_ptr() as *mut c_void,
            ss_flags: 0,
            ss_size: ALT_STACK_BYTES,
        };
        libc::sigaltstack(&alt, std::ptr::null_mut());
        for signal in SIGNALS {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fatal_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

extern "C" fn on_fatal_signal(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    if HANDLING.swap(true, Ordering::SeqCst) {
        // Another thread is already reporting; it will end the process.
        loop {
            unsafe { libc::pause() };
        }
    }
    unsafe {
        write_raw(CRASH_PREFIX);
        write_raw("signal=");
        write_number(signal as u64);
        write_raw(" name=");
        write_raw(signal_abbrev(signal));
        // Sent by another process (kill(1), a supervisor): where we were is not the cause.
        if !info.is_null() && (*info).si_code == libc::SI_USER && (*info).si_pid() != libc::getpid()
        {
            write_raw(" sender=");
            write_number((*info).si_pid() as u64);
        }
        write_raw("\n");
        libc::alarm(10);
    }
    // A fault the kernel raised (si_code > 0) happened at the context's program
    // counter; an abort() or kill (si_code <= 0) is found by walking the stack.
    let kernel_fault = !info.is_null() && unsafe { (*info).si_code } > 0;
    let fault_pc = if kernel_fault {
        context_pc(context)
    } else {
        None
    };
    let frames = stack_frames(fault_pc);
    for (i, name) in frames.iter().enumerate() {
        write_line(&format!("{FRAME_PREFIX}#{i} {name}"));
    }
    let at = fault_pc
        .and_then(symbol_at)
        .or_else(|| innermost_meaningful(&frames).map(str::to_string));
    if let Some(at) = at {
        write_line(&format!("{AT_PREFIX}{}", short_name(&at)));
    }
    unsafe {
        libc::raise(signal);
    }
}

fn signal_abbrev(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGABRT => "SIGABRT",
        _ => "signal",
    }
}

/// Every frame's function name (its address when it has none), innermost first.
fn stack_frames(fault_pc: Option<usize>) -> Vec<String> {
    let mut frames = Vec::new();
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            let ip = frame.ip() as usize;
            if fault_pc == Some(ip) {
                // The faulting frame's ip is the instruction itself, not a return address.
                frames.push(symbol_at(ip).unwrap_or_else(|| format!("{ip:#x}")));
                return frames.len() < MAX_FRAMES;
            }
            let mut name = None;
            backtrace::resolve_frame_unsynchronized(frame, |symbol| {
                if name.is_none() {
                    name = symbol.name().map(|n| n.to_string());
                }
            });
            frames.push(name.unwrap_or_else(|| format!("{:?}", frame.ip())));
            frames.len() < MAX_FRAMES
        });
    }
    frames
}

/// The function holding the instruction at `pc`.
fn symbol_at(pc: usize) -> Option<String> {
    let mut name = None;
    unsafe {
        // resolve() takes return addresses and looks one byte back (the call);
        // a faulting pc is the instruction itself, and may be a function's first byte.
        backtrace::resolve_unsynchronized((pc + 1) as *mut c_void, |symbol| {
            if name.is_none() {
                name = symbol.name().map(|n| n.to_string());
            }
        });
    }
    name
}

/// The first frame below the handler that is not the signal or abort
/// machinery: the function that faulted or called abort().
pub fn innermost_meaningful(frames: &[String]) -> Option<&str> {
    let handler_end = frames
        .iter()
        .rposition(|f| f.contains("on_fatal_signal"))
        .map_or(0, |i| i + 1);
    frames[handler_end..]
        .iter()
        .map(String::as_str)
        .find(|f| !f.starts_with("0x") && !is_machinery(short_name(f)))
}

/// Frames that only deliver a signal, abort, or unwind.
fn is_machinery(name: &str) -> bool {
    const MACHINERY: [&str; 19] = [
        "__restore_rt",
        "__kernel_rt_sigreturn",
        "sigaction",
        "__sigaction",
        "__libc_sigaction",
        "raise",
        "gsignal",
        "abort",
        "pthread_kill",
        "__pthread_kill_implementation",
        "__pthread_kill_internal",
        "ggml_abort",
        "ggml_print_backtrace",
        "ggml_uncaught_exception",
        "std::terminate",
        "__cxa_throw",
        "__cxa_rethrow",
        "__gnu_cxx::__verbose_terminate_handler",
        "__cxxabiv1::__terminate",
    ];
    MACHINERY.contains(&name)
        || name.starts_with("backtrace::")
        || name.starts_with("_Unwind_")
        || name.starts_with("__GI_")
}

/// `ggml::cpu::amx::tensor_traits::compute_forward(ggml_compute_params*, ...)`
/// -> `ggml::cpu::amx::tensor_traits::compute_forward`; Rust hashes dropped.
pub fn short_name(name: &str) -> &str {
    let name = name.split('(').next().unwrap_or(name);
    match name.rfind("::h") {
        Some(i) if name[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) && name.len() - i == 19 => {
            &name[..i]
        }
        _ => name,
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn context_pc(context: *mut c_void) -> Option<usize> {
    if context.is_null() {
        return None;
    }
    let context = unsafe { &*(context as *const libc::ucontext_t) };
    Some(context.uc_mcontext.gregs[libc::REG_RIP as usize] as usize)
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
fn context_pc(context: *mut c_void) -> Option<usize> {
    if context.is_null() {
        return None;
    }
    let context = unsafe { &*(context as *const libc::ucontext_t) };
    Some(context.uc_mcontext.pc as usize)
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn context_pc(_context: *mut c_void) -> Option<usize> {
    None
}

fn write_line(line: &str) {
    write_raw(line);
    write_raw("\n");
}

fn write_raw(text: &str) {
    unsafe {
        libc::write(2, text.as_ptr() as *const c_void, text.len());
    }
}

/// Decimal digits without allocating.
fn write_number(mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    unsafe {
        libc::write(
            2,
            digits[start..].as_ptr() as *const c_void,
            digits.len() - start,
        );
    }
}

/// Test-only: `EDGEBENCH_TEST_NATIVE_FAULT=<test>:<segv|abort>` makes the child
/// fault inside ggml when it starts that test, so the tests can check that a
/// real native crash is reported with its frame. Unset in normal runs.
pub fn inject_fault_for_test(test: &str) {
    let Ok(spec) = std::env::var("EDGEBENCH_TEST_NATIVE_FAULT") else {
        return;
    };
    let Some((target, kind)) = spec.split_once(':') else {
        return;
    };
    if target != test {
        return;
    }
    crate::engine::native_fault(kind);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_arguments_and_rust_hashes() {
        assert_eq!(
            short_name("ggml::cpu::amx::tensor_traits::compute_forward(ggml_compute_params*, ggml_tensor*)"),
            "ggml::cpu::amx::tensor_traits::compute_forward"
        );
        assert_eq!(
            short_name("edgebench::runner::child::run::h0123456789abcdef"),
            "edgebench::runner::child::run"
        );
        assert_eq!(short_name("ggml_nbytes"), "ggml_nbytes");
    }

    #[test]
    fn the_innermost_meaningful_frame_skips_handler_and_abort_machinery() {
        let frames: Vec<String> = [
            "backtrace::backtrace::trace_unsynchronized",
            "edgebench::runner::crash::on_fatal_signal",
            "__restore_rt",
            "__pthread_kill_implementation",
            "raise",
            "abort",
            "ggml_abort",
            "0x7f00deadbeef",
            "llama_context::decode(llama_batch const&)",
            "main",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            innermost_meaningful(&frames),
            Some("llama_context::decode(llama_batch const&)")
        );
        assert_eq!(innermost_meaningful(&frames[..7]), None);
    }
}
