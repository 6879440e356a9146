//! For tests of the hub and of what uses it (feature `testing`): a throwaway PostgreSQL server,
//! Debian's `initdb` and `pg_ctl` on a free loopback port in a temporary directory, stopped when
//! the last test using it is done. As root, the server runs as the `postgres` user (initdb
//! refuses root).

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};

pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
    databases: Mutex<u32>,
}

/// The newest PostgreSQL Debian installed.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (cargo xtask setup)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version in /usr/lib/postgresql").1
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("switchboard-pg-").tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown").args(["postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown of the server's directory");
        }
        let mut pg = Postgres { dir, bin: bin_dir(), port: 0, as_postgres, databases: Mutex::new(0) };
        let out = pg.command("initdb").args(["-D"]).arg(pg.data()).args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]).output().unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        // A port another process took in between makes the start fail: take another.
        for _ in 0..5 {
            pg.port = free_port();
            let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", pg.port, pg.dir.path().display());
            let out = pg.command("pg_ctl").arg("-D").arg(pg.data()).args(["-o", &options, "-l"]).arg(pg.dir.path().join("log")).args(["-w", "start"]).output().unwrap();
            if out.status.success() {
                return pg;
            }
        }
        panic!("the PostgreSQL server did not start: {}", std::fs::read_to_string(pg.dir.path().join("log")).unwrap_or_default());
    }

    /// A new empty database; its address.
    pub fn database(&self) -> String {
        let name = {
            let mut n = self.databases.lock().unwrap();
            *n += 1;
            format!("hub{n}")
        };
        let out = self.command("createdb").args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", &name]).output().unwrap();
        assert!(out.status.success(), "createdb: {}", String::from_utf8_lossy(&out.stderr));
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]).output();
    }
}

/// The server the tests of this binary share: started by the first that asks, stopped when the
/// last that holds it is done.
pub fn postgres() -> Arc<Postgres> {
    static SHARED: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap();
    if let Some(pg) = shared.upgrade() {
        return pg;
    }
    let pg = Arc::new(Postgres::start());
    *shared = Arc::downgrade(&pg);
    pg
}
