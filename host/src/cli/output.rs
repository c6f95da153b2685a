//! The command's output paths, checked before any guest runs and written atomically: a
//! file is reserved as a temporary file beside it (which proves the folder writable) and
//! renamed over it only when it is whole, so a failed, interrupted or refused command
//! leaves an earlier file as it was. Explore's `--out` folder is locked for the whole
//! command and owned by one exploration. `{binary}` in an output path stands for the
//! component's name, so that a cargo runner's one set of flags gives each test binary
//! its own files.

use super::files::plan_files_in;
use anyhow::{Context, Result, anyhow, bail};
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// What a path is when it is not a regular file or folder, for the message.
fn kind(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a regular file"
    }
}

/// `path`'s metadata through symlinks; a loop or a dangling link is said so.
fn metadata(path: &Path) -> Result<Option<std::fs::Metadata>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
            bail!("{}: is a symbolic link loop", path.display())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                bail!("{}: is a symbolic link to nothing", path.display());
            }
            Ok(None)
        }
        Err(e) => Err(anyhow!(e).context(format!("cannot use {}", path.display()))),
    }
}

/// The command's inputs and reserved outputs, by what they are on disk, each with the
/// flag that named it: an output on an input's or another output's path is refused
/// before anything runs, naming both flags.
static CLAIMS: Mutex<Vec<Claim>> = Mutex::new(Vec::new());

struct Claim {
    identity: PathBuf,
    flag: String,
    output: bool,
    /// An output's temporary file.
    temp: Option<PathBuf>,
}

/// What `path` is on disk: its canonical path, or its folder's with its name when it is
/// not there yet.
fn identity(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.join(path.file_name().unwrap_or_default())
}

fn claims() -> std::sync::MutexGuard<'static, Vec<Claim>> {
    CLAIMS.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `{binary}` in an output path stands for: the component's file name without its
/// extension and cargo's `-HASH` (`deps/suite-0123456789abcdef.wasm` is `suite`), so a
/// rebuild keeps the names.
static BINARY: OnceLock<String> = OnceLock::new();

/// The component's name as `{binary}` gives it.
fn binary_name(component: &Path) -> String {
    match super::options::cargo_name(component) {
        Some(name) => name.to_string(),
        None => (component.file_stem().unwrap_or_default())
            .to_string_lossy()
            .into_owned(),
    }
}

/// `path` with `{binary}` replaced by the component's name.
fn expanded(path: &Path, flag: &str) -> Result<PathBuf> {
    let text = path.to_string_lossy();
    if !text.contains("{binary}") {
        return Ok(path.to_path_buf());
    }
    let Some(binary) = BINARY.get() else {
        bail!(
            "{flag} {}: {{binary}} stands for the component's name, and this command has no \
             component",
            path.display()
        );
    };
    Ok(PathBuf::from(text.replace("{binary}", binary)))
}

/// Names the files the command reads (`flag` as the user knows it: `the component`,
/// `--plan`, `--merge`), so that no output replaces one. Call before reserving outputs.
pub fn inputs<'a>(named: impl IntoIterator<Item = (&'a str, &'a Path)>) {
    let mut claims = claims();
    for (flag, path) in named {
        if flag == "the component" {
            let _ = BINARY.set(binary_name(path));
        }
        claims.push(Claim {
            identity: identity(path),
            flag: format!("{flag} {}", path.display()),
            output: false,
            temp: None,
        });
    }
}

/// Claims `path` for `flag`'s output, or says which input or output already has it.
fn claim(path: &Path, flag: &str) -> Result<PathBuf> {
    let identity = identity(path);
    let mut claims = claims();
    if let Some(other) = claims.iter().find(|c| c.identity == identity) {
        let what = if other.output {
            "is also the output of"
        } else {
            "is an input of the command:"
        };
        bail!(
            "{flag} {}: {what} {}; an output never replaces an input or another output: \
             give each its own path",
            path.display(),
            other.flag
        );
    }
    claims.push(Claim {
        identity: identity.clone(),
        flag: format!("{flag} {}", path.display()),
        output: true,
        temp: None,
    });
    Ok(identity)
}

/// The temporary files of the outputs reserved and not yet written or given up.
pub fn reserved_temps() -> Vec<PathBuf> {
    claims().iter().filter_map(|c| c.temp.clone()).collect()
}

/// Releases an output's claim (its file was written or given up).
fn release(identity: &Path) {
    claims().retain(|c| !(c.output && c.identity == identity));
}

/// An output file, reserved: written whole by [`OutFile::commit`], or not at all.
pub struct OutFile {
    /// Where it goes (through a symlink, the file it names).
    target: PathBuf,
    /// As the user gave it.
    shown: PathBuf,
    temp: Option<(File, PathBuf)>,
    /// Its claim among the command's paths.
    identity: PathBuf,
}

impl OutFile {
    /// Checks `path` (for `flag`) and reserves a temporary file beside it: a folder, a
    /// device, a FIFO, a symlink loop or a folder that cannot be written is refused now.
    pub fn reserve(path: &Path, flag: &str) -> Result<Self> {
        let path = &expanded(path, flag)?;
        let why = |e: anyhow::Error| e.context(format!("{flag} {}", path.display()));
        let identity = claim(path, flag)?;
        let reserved = Self::reserve_claimed(path, flag, why);
        if reserved.is_err() {
            release(&identity);
        }
        let (target, temp) = reserved?;
        if let Some(claim) = claims()
            .iter_mut()
            .find(|c| c.output && c.identity == identity)
        {
            claim.temp = Some(temp.1.clone());
        }
        Ok(Self {
            target,
            shown: path.to_path_buf(),
            temp: Some(temp),
            identity,
        })
    }

    fn reserve_claimed(
        path: &Path,
        flag: &str,
        why: impl Fn(anyhow::Error) -> anyhow::Error,
    ) -> Result<(PathBuf, (File, PathBuf))> {
        let target = match metadata(path).map_err(&why)? {
            Some(meta) if !meta.is_file() => {
                bail!(
                    "{flag} {}: is {}, not a file: wouldblock writes its files whole, \
                     through a temporary file renamed over them",
                    path.display(),
                    kind(meta.file_type())
                )
            }
            Some(_) => path.canonicalize().map_err(|e| why(e.into()))?,
            None => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .with_context(|| format!("{flag} {}: cannot create a file there", path.display()))?;
        Ok((target, (file, temp)))
    }

    /// Writes `bytes` and puts the file in place.
    pub fn commit(&mut self, bytes: &[u8]) -> Result<()> {
        let Some((mut file, temp)) = self.temp.take() else {
            bail!("{}: written twice", self.shown.display());
        };
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&temp, &self.target));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.with_context(|| format!("writing {}", self.shown.display()))
    }
}

impl Drop for OutFile {
    /// Never written: the temporary file goes, the earlier file stays.
    fn drop(&mut self) {
        if let Some((_, temp)) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
        release(&self.identity);
    }
}

/// Explore's `--out` folder, checked, locked and owned for the whole command.
pub struct OutDir {
    path: PathBuf,
    _lock: Flock<File>,
}

impl OutDir {
    /// Creates `path` if need be, checks it can be written, locks it (another exploration
    /// writing there is refused, not mixed in), and checks that the plan files already in
    /// it are this exploration's (`explored`): another's are refused unless `force`.
    pub fn claim(path: &Path, explored: &str, force: bool) -> Result<Self> {
        let path = &expanded(path, "--out")?;
        let shown = path.display();
        match metadata(path).with_context(|| format!("--out {shown}"))? {
            Some(meta) if !meta.is_dir() => bail!(
                "--out {shown}: is {}, not a folder (the findings' plan files go in it)",
                kind(meta.file_type())
            ),
            Some(_) => {}
            None => std::fs::create_dir_all(path)
                .with_context(|| format!("--out {shown}: cannot create the folder"))?,
        }
        let probe = path.join(format!(".wouldblock-probe.{}.tmp", std::process::id()));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .with_context(|| format!("--out {shown}: cannot write in the folder"))?;
        let _ = std::fs::remove_file(&probe);
        let dir = File::open(path).with_context(|| format!("--out {shown}: cannot open"))?;
        let lock = Flock::lock(dir, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
            anyhow!(
                "--out {shown}: another exploration is writing there ({errno}); give each \
                 exploration its own --out"
            )
        })?;
        let files = plan_files_in(path).with_context(|| format!("--out {shown}: cannot read"))?;
        let foreign: Vec<&(PathBuf, Option<String>)> = files
            .iter()
            .filter(|(_, owner)| owner.as_deref() != Some(explored))
            .collect();
        if let Some((file, owner)) = foreign.first()
            && !force
        {
            let owner = owner.as_deref().map_or_else(
                || "names no exploration (an older wouldblock's, or written by hand)".into(),
                |o| format!("is from exploring {o}"),
            );
            bail!(
                "--out {shown}: holds {} plan file(s) of another exploration ({} {owner}); \
                 pass --force to replace them, or give another --out",
                foreign.len(),
                file.display()
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("wouldblock-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_not_committed_leaves_the_earlier_one_and_nothing_else() {
        let dir = scratch("file");
        let path = dir.join("report.json");
        std::fs::write(&path, "earlier").unwrap();
        drop(OutFile::reserve(&path, "--json").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let mut file = OutFile::reserve(&path, "--json").unwrap();
        file.commit(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn folders_devices_and_loops_are_refused_by_name() {
        let dir = scratch("bad");
        let err = |path: &Path| format!("{:#}", OutFile::reserve(path, "--json").err().unwrap());
        assert!(
            err(&dir).contains("is a folder, not a file"),
            "{}",
            err(&dir)
        );
        let null = Path::new("/dev/null");
        assert!(err(null).contains("character device"), "{}", err(null));
        let a = dir.join("a");
        std::os::unix::fs::symlink(dir.join("b"), &a).unwrap();
        std::os::unix::fs::symlink(&a, dir.join("b")).unwrap();
        assert!(err(&a).contains("symbolic link loop"), "{}", err(&a));
        let err = format!("{:#}", OutDir::claim(&a, "x", false).err().unwrap());
        assert!(err.contains("symbolic link loop"), "{err}");
        let file = dir.join("file");
        std::fs::write(&file, "").unwrap();
        let err = format!("{:#}", OutDir::claim(&file, "x", false).err().unwrap());
        assert!(err.contains("is a regular file, not a folder"), "{err}");
    }

    #[test]
    fn an_out_folder_is_locked_and_owned() {
        let dir = scratch("owned");
        let first = OutDir::claim(&dir, "a.wasm", false).unwrap();
        let err = format!("{:#}", OutDir::claim(&dir, "a.wasm", false).err().unwrap());
        assert!(
            err.contains("another exploration is writing there"),
            "{err}"
        );
        drop(first);
        std::fs::write(dir.join("finding-01-x.toml"), "# explored: b.wasm\n\n").unwrap();
        let err = format!("{:#}", OutDir::claim(&dir, "a.wasm", false).err().unwrap());
        assert!(err.contains("from exploring b.wasm"), "{err}");
        assert!(OutDir::claim(&dir, "b.wasm", false).is_ok());
        assert!(OutDir::claim(&dir, "a.wasm", true).is_ok());
    }
}
