//! Reading a component file safely: only a regular file, its header checked before the
//! rest is read, its size bounded. A device, a FIFO or a huge file is bad input, found in
//! microseconds, never a read without end.

use crate::error::Error;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// The default bound on a component file: far above any real component (the bundled ones
/// are tens of KiB, large Rust ones a few MiB).
///
/// ```
/// use wouldblock::{Builder, DEFAULT_MAX_COMPONENT_SIZE};
/// assert_eq!(DEFAULT_MAX_COMPONENT_SIZE, 256 << 20);
/// let builder = Builder::new().max_component_size(4 * DEFAULT_MAX_COMPONENT_SIZE);
/// assert!(builder.build().is_ok());
/// ```
pub const DEFAULT_MAX_COMPONENT_SIZE: u64 = 256 << 20;

/// The first bytes of every WebAssembly binary.
const MAGIC: &[u8] = b"\0asm";

/// Reads the component at `path`, at most `max_size` bytes.
pub(crate) fn read(path: &Path, max_size: u64) -> Result<Vec<u8>, Error> {
    let read_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => Error::Missing {
            path: path.to_path_buf(),
        },
        _ => Error::Read {
            path: path.to_path_buf(),
            source,
        },
    };
    // Looked at before opening: opening a FIFO would block until a writer came.
    let meta = std::fs::metadata(path).map_err(read_error)?;
    let kind = meta.file_type();
    let what = if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    };
    if let Some(what) = what {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
            what,
        });
    }
    let too_large = |size| Error::TooLarge {
        path: path.to_path_buf(),
        size,
        max: max_size,
    };
    if meta.len() > max_size {
        return Err(too_large(meta.len()));
    }
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = vec![0; 8.min(meta.len() as usize)];
    file.read_exact(&mut bytes).map_err(read_error)?;
    check_header(&path.display().to_string(), &bytes)?;
    // The file may have grown since its size was read: never read past the bound.
    file.take((max_size - bytes.len() as u64).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The 8-byte preamble: the `\0asm` magic, then a version whose layer field (bytes 6..8)
/// is 0 for a core module and 1 for a component.
pub(crate) fn check_header(name: &str, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() < 8 || !bytes.starts_with(MAGIC) {
        return Err(Error::NotWasm { name: name.into() });
    }
    if bytes[6..8] != [1, 0] {
        return Err(Error::CoreModule { name: name.into() });
    }
    Ok(())
}
