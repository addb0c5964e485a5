//! The allocator of the `tagls` binary: mimalloc, for Rust and for
//! tree-sitter's C core alike.
//!
//! Every keystroke makes tree-sitter allocate the nodes of a new tree and
//! free those of the old one; with the system allocator, freeing them
//! (glibc's chunk consolidation) was a tenth of the document thread's time
//! and made the slowest keystrokes slower still (docs/BENCHMARKS.md).
//!
//! mimalloc is built without transparent huge pages (`no_thp`): with them,
//! memory grew in 2 MiB pages, and the idle server took twice the RSS.

use std::ffi::c_void;

use libmimalloc_sys::{mi_calloc, mi_free, mi_malloc, mi_realloc};

/// Makes tree-sitter allocate with mimalloc. Call it first thing in
/// `main`, before any tree-sitter object exists.
pub fn install_for_tree_sitter() {
    let allocator = tree_sitter::Allocator {
        malloc: ts_malloc,
        calloc: ts_calloc,
        realloc: ts_realloc,
        free: mi_free,
    };
    // SAFETY: called before any tree-sitter object exists, and once (the
    // caller is `main`). The four functions are mimalloc's, one family;
    // mimalloc aligns as malloc does; the wrappers never return null for a
    // non-zero size, as tree-sitter requires.
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}

/// Out of memory: tree-sitter's own default allocator aborts too.
fn non_null(size: usize, p: *mut c_void) -> *mut c_void {
    if size > 0 && p.is_null() {
        std::process::abort();
    }
    p
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    // SAFETY: mi_malloc has no precondition.
    non_null(size, unsafe { mi_malloc(size) })
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    // SAFETY: mi_calloc has no precondition; it checks the product.
    non_null(count.saturating_mul(size), unsafe {
        mi_calloc(count, size)
    })
}

unsafe extern "C" fn ts_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: tree-sitter passes null or a pointer these functions
    // returned, as realloc requires.
    non_null(size, unsafe { mi_realloc(p, size) })
}
