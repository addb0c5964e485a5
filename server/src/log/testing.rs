//! What the log's unit tests share: a workspace at `/ws` over a fake file
//! system, and images by their bytes.

use std::path::Path;
use std::sync::Arc;

use crate::workspace::fs::FakeFs;
use crate::workspace::index::FileIndex;
use crate::workspace::model::Workspace;

/// A valid 1×1 RGBA PNG.
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A 1×1, 24-bit BMP.
pub fn bmp_1x1() -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&58u32.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(&1i32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[0, 0, 255, 0]);
    b
}

/// A workspace with the one root `/ws` over `fs`; with `indexed`, its file
/// index built.
pub fn workspace(fs: FakeFs, indexed: bool) -> Workspace {
    let fs = Arc::new(fs);
    let mut ws = Workspace::new(fs.clone());
    ws.add_root(Path::new("/ws"), false);
    if indexed {
        ws.set_index(Path::new("/ws"), FileIndex::build(&*fs, Path::new("/ws")));
    }
    ws
}
