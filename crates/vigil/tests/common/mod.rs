//! The harness the `vigil` binary's end-to-end tests share: paths and temporary folders, a
//! bare HTTP/1.1 client (enough for these tests without an HTTP client dependency), and a
//! running `vigil run` that is killed when dropped.
//!
//! The real data is located with `vigil_testdata::path`, not here.
//!
//! Each test file compiles this module on its own, so an item one file does not use is
//! dead code there: such items carry `#[allow(dead_code)]` saying which file uses them.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The binary under test.
pub const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// The workspace root (where `config/vigil.example.toml` is).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh folder `vigil-<prefix>-<tag>-<pid>` in the system's temporary folder; `prefix`
/// names the test file so that concurrent test binaries do not share folders.
pub fn tempdir(prefix: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-{prefix}-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---- a bare HTTP/1.1 client -------------------------------------------------------------

/// A response: status, lower-cased headers, body (de-chunked).
pub struct Response {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("JSON body ({e}): {}", text(&self.body)))
    }
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The data of the complete chunks of a chunked body (an incomplete last chunk, as on a
/// stream still open, is left out).
pub fn dechunk(raw: &[u8]) -> Vec<u8> {
    let (mut out, mut at) = (Vec::new(), 0);
    while let Some(eol) = find(&raw[at..], b"\r\n") {
        let size = usize::from_str_radix(text(&raw[at..at + eol]).trim(), 16).expect("chunk size");
        let start = at + eol + 2;
        if size == 0 || raw.len() < start + size + 2 {
            break;
        }
        out.extend_from_slice(&raw[start..start + size]);
        at = start + size + 2;
    }
    out
}

/// One request on its own connection; `token` goes in `Authorization: Bearer`. An empty
/// `body` sends no body headers (a plain GET); a body starting with `{` is sent as JSON, any
/// other as text.
pub fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let content = if body.is_empty() {
        String::new()
    } else {
        let content_type = if body.starts_with('{') {
            "application/json"
        } else {
            "text/plain"
        };
        format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        )
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}{content}\r\n{body}"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let split = find(&raw, b"\r\n\r\n").expect("end of headers");
    let head = text(&raw[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Response {
        status,
        headers: head,
        body,
    }
}

/// A GET without authentication.
pub fn get(addr: &str, path: &str) -> Response {
    request(addr, "GET", path, None, "")
}

/// A GET that must answer 200 with a JSON body; that body.
pub fn get_json(addr: &str, path: &str) -> Value {
    let r = get(addr, path);
    assert_eq!(r.status, 200, "GET {path}: {}", text(&r.body));
    assert!(
        r.headers.contains("content-type: application/json"),
        "GET {path}: {}",
        r.headers
    );
    r.json()
}

/// A POST of `body`, authenticated with `token` if given.
#[allow(dead_code)] // used by renegade_api.rs, not by cli.rs
pub fn post(addr: &str, path: &str, token: Option<&str>, body: &str) -> Response {
    request(addr, "POST", path, token, body)
}

// ---- the centre -------------------------------------------------------------------------

/// A running `vigil run`, killed when dropped (also when the test fails before stopping it).
pub struct Service {
    pub child: Child,
    /// `host:port` of its HTTP server.
    pub addr: String,
    /// The file its stderr goes to.
    #[allow(dead_code)] // read by cli.rs (log lines, clean stop), not by renegade_api.rs
    pub stderr: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `vigil run --config` with its stderr in the file `stderr`; its first stdout line is
/// the URL (port 0: a free one).
pub fn start_service(config: &Path, stderr: &Path) -> Service {
    let child = Command::new(VIGIL)
        .args(["run", "--config", config.to_str().expect("utf-8")])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).expect("stderr file"))
        .spawn()
        .expect("vigil starts");
    Service::from_child(child, stderr)
}

impl Service {
    /// A started centre (`vigil run` or `vigil replay`, stdout piped, stderr in `stderr`):
    /// waits for the URL on its first stdout line.
    pub fn from_child(mut child: Child, stderr: &Path) -> Service {
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "no URL on stdout within 60 s; stderr:\n{}",
                    std::fs::read_to_string(stderr).unwrap_or_default()
                )
            });
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("first stdout line has the URL: {first:?}"))
            .to_owned();
        Service {
            child,
            addr,
            stderr: stderr.to_path_buf(),
        }
    }
}

// ---- a partner centre -------------------------------------------------------------------

/// `vigil certs demo --out DIR/certs`: both parties' CAs and the example centres'
/// certificates.
#[allow(dead_code)] // not every test binary runs links
pub fn demo_certs(dir: &Path) {
    let out = std::process::Command::new(VIGIL)
        .args([
            "certs",
            "demo",
            "--out",
            &dir.join("certs").to_string_lossy(),
        ])
        .output()
        .expect("vigil certs demo");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Certificates, a release policy over the recording's area, and a partner centre
/// (`kaliningrad-lu`, RU) listening on a free port for the centre's link; returns the
/// centre's `[links]` section.
#[allow(dead_code)] // used by renegade_api.rs and ui.rs
pub fn partner_for(dir: &Path) -> (String, std::path::PathBuf) {
    demo_certs(dir);
    std::fs::write(
        dir.join("policy.toml"),
        "link = \"to-partner\"\nkinds = [\"tracks\", \"alerts\", \"incidents\", \"handovers\"]\n\
         withhold = [\"operator\"]\n[[area]]\nname = \"south-west Europe\"\n\
         polygon = [[35.0, -10.0], [35.0, 15.0], [60.0, 15.0], [60.0, -10.0]]\n\
         lower_ft = -2000\nupper_ft = 66000\nunknown_altitude = true\n",
    )
    .expect("policy");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let partner = dir.join("partner.toml");
    std::fs::write(
        &partner,
        format!(
            "[centre]\nname = \"kaliningrad-lu\"\nparty = \"RU\"\n\n[links]\n\
             cert = \"certs/kaliningrad-lu.RU.crt\"\nkey = \"certs/kaliningrad-lu.RU.key\"\n\
             store = \"partner.db\"\nlisten = \"127.0.0.1:{port}\"\n\n[[links.link]]\n\
             name = \"to-partner\"\npartner_party = \"NATO\"\npartner_centre = \"warszawa-lu\"\n\
             partner_ca = \"certs/nato-ca.crt\"\npolicy = \"policy.toml\"\n"
        ),
    )
    .expect("partner config");
    let links = format!(
        "[links]\ncert = \"certs/warszawa-lu.NATO.crt\"\nkey = \"certs/warszawa-lu.NATO.key\"\n\
         store = \"centre.db\"\n\n[[links.link]]\nname = \"to-partner\"\n\
         partner_party = \"RU\"\npartner_centre = \"kaliningrad-lu\"\n\
         partner_ca = \"certs/ru-ca.crt\"\ndial = \"127.0.0.1:{port}\"\npolicy = \"policy.toml\"\n"
    );
    (links, partner)
}

/// Runs the partner's links (`vigil link serve`), its log in `dir/partner.log`.
#[allow(dead_code)] // used by renegade_api.rs and ui.rs
pub fn start_partner(config: &Path, dir: &Path) -> Child {
    Command::new(VIGIL)
        .args(["link", "serve", "--config", &config.to_string_lossy()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("partner.log")).expect("log"))
        .spawn()
        .expect("partner centre")
}

// ---- synthetic traffic ----------------------------------------------------------------

/// Synthetic traffic: `n` aircraft on a grid over Europe, flying straight at airliner
/// speeds, squittering ADS-B in Beast framing.
#[allow(dead_code)] // used by ui.rs and replay.rs
pub struct Fleet {
    /// Each aircraft's state (tests change squawks).
    pub states: Vec<vigil_codec::encode::AircraftState>,
}

#[allow(dead_code)] // used by ui.rs and replay.rs
impl Fleet {
    /// The fleet at its start.
    pub fn new(n: usize) -> Fleet {
        use vigil_codec::encode::AircraftState;
        use vigil_codec::modes::Callsign;
        use vigil_core::{IcaoAddress, LatLon};
        let side = (n as f64).sqrt().ceil() as usize;
        let states = (0..n)
            .map(|i| {
                let (r, c) = (i / side, i % side);
                let lat = 42.0 + 14.0 * r as f64 / side as f64;
                let lon = -4.0 + 30.0 * c as f64 / side as f64;
                let mut s = AircraftState::new(
                    IcaoAddress::new(0x40_0000 + i as u32),
                    LatLon::new(lat, lon),
                    20_000 + (i % 20) as i32 * 1_000,
                );
                s.callsign = Some(Callsign::from_text(&format!("VGL{i:04}")));
                s.gs_kt = 250.0 + (i % 230) as f64;
                s.track_deg = (i * 37 % 360) as f64;
                // A few emergencies, as a real picture has now and then.
                s.squawk = match i % 1000 {
                    7 => 0x7700,
                    507 => 0x7600,
                    _ => 0x1000 + (i % 0o777) as u16,
                };
                s
            })
            .collect();
        Fleet { states }
    }

    /// Moves every aircraft `dt` seconds on, then appends its squitters to `out`: even and odd
    /// positions (a global CPR decode each second), velocity, and every 5 s identification.
    pub fn second(&mut self, t: f64, dt: f64, out: &mut Vec<u8>) {
        use vigil_codec::encode::{
            airborne_position, beast_frame, df5, identification, ticks_12mhz, velocity,
        };
        let ticks = ticks_12mhz(vigil_core::UnixTime(t));
        for (i, s) in self.states.iter_mut().enumerate() {
            let d = s.gs_kt * 1852.0 / 3600.0 * dt;
            let (sin, cos) = s.track_deg.to_radians().sin_cos();
            let lat = s.position.lat + d * cos / 111_320.0;
            let lon = s.position.lon + d * sin / (111_320.0 * lat.to_radians().cos());
            s.position = vigil_core::LatLon::new(lat, lon);
            beast_frame(out, &airborne_position(s, false), ticks, 200);
            beast_frame(out, &airborne_position(s, true), ticks + 6_000_000, 200);
            beast_frame(out, &velocity(s), ticks + 3_000_000, 200);
            if (t as usize + i).is_multiple_of(5) {
                beast_frame(out, &identification(s), ticks + 1_000_000, 200);
                // The squawk comes in surveillance replies (DF5), as from a real transponder.
                beast_frame(out, &df5(s), ticks + 2_000_000, 200);
            }
        }
    }

    /// Writes `seconds` of the fleet's squitters from `t0` as a `unix_ts,beast_hex` CSV
    /// recording (the format of the real recordings), calling `each(second, fleet)` before
    /// each second (to change squawks).
    pub fn write_csv(
        &mut self,
        path: &Path,
        t0: f64,
        seconds: u32,
        mut each: impl FnMut(u32, &mut Fleet),
    ) {
        let mut out = String::new();
        let mut buf = Vec::new();
        for k in 0..seconds {
            each(k, self);
            let t = t0 + f64::from(k);
            buf.clear();
            self.second(t, 1.0, &mut buf);
            // One Beast record per line: split at the unescaped 0x1a that starts a record.
            let mut i = 0;
            let mut n = 0usize;
            while i < buf.len() {
                let start = i;
                i += 2;
                while i < buf.len() {
                    if buf[i] == 0x1a {
                        if buf.get(i + 1) == Some(&0x1a) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                // Frames of one second spread over it, in order.
                let ts = t + n as f64 * 1e-4;
                n += 1;
                out.push_str(&format!("{ts:.6},{}\n", hex::encode(&buf[start..i])));
            }
        }
        std::fs::write(path, out).expect("write recording");
    }
}

// ---- reports on real aircraft ------------------------------------------------------------

/// The tracks of a `/data/tracks.json` answer worth a report: confirmed, with a callsign no
/// other track shows, most updated first (likely to stay in the air a while). Each with its
/// callsign.
#[allow(dead_code)] // used by renegade_api.rs and ui.rs
pub fn reportable(tracks: &Value) -> Vec<(Value, String)> {
    let list = tracks["tracks"].as_array().cloned().unwrap_or_default();
    let callsign = |t: &Value| {
        t["identity"]["flight"]
            .as_str()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut out: Vec<(Value, String)> = list
        .iter()
        .filter(|t| t["status"] == "confirmed")
        .filter_map(|t| callsign(t).map(|c| (t.clone(), c)))
        .filter(|(_, c)| {
            list.iter()
                .filter(|o| callsign(o).as_ref() == Some(c))
                .count()
                == 1
        })
        .collect();
    out.sort_by_key(|(t, _)| std::cmp::Reverse(t["updates"].as_u64().unwrap_or(0)));
    out
}

// ---- waiting and real data ----------------------------------------------------------------

/// Polls `f` every 100 ms until it gives a value, for at most `limit`; panics with `what`
/// and the last thing seen.
#[allow(dead_code)] // used by renegade_api.rs and ui.rs
pub fn poll<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Result<T, String>) -> T {
    let t0 = std::time::Instant::now();
    loop {
        match f() {
            Ok(v) => return v,
            Err(last) => assert!(
                t0.elapsed() < limit,
                "{what}: not within {limit:?}; last seen: {last}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The real recording `long_flight.csv` beside the project, or `None` with a SKIPPED notice.
#[allow(dead_code)] // used by replay.rs, store_crash.rs and ui.rs
pub fn long_flight() -> Option<PathBuf> {
    let recording = project_root().join("../shared/data/adsb/long_flight.csv");
    if recording.exists() {
        Some(recording)
    } else {
        eprintln!(
            "SKIPPED: {} not found (../shared/data)",
            recording.display()
        );
        None
    }
}

/// What the browser tests need, or why they cannot run here.
#[allow(dead_code)] // used by ui.rs, ui_station.rs and ui_missile.rs
pub fn browser() -> Option<PathBuf> {
    let ui = project_root().join("ui");
    let chromium = std::env::var("VIGIL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing = if Command::new("node").arg("--version").output().is_err() {
        Some("node (apt install nodejs npm)".to_owned())
    } else if !Path::new(&chromium).exists() {
        Some(format!("{chromium} (apt install chromium)"))
    } else if !ui.join("node_modules/playwright-core").is_dir() {
        Some("ui/node_modules (npm ci --prefix ui)".to_owned())
    } else {
        None
    };
    match missing {
        None => Some(ui),
        Some(m) if std::env::var_os("CI").is_some() => {
            panic!("the browser tests need {m}; .ci/run installs it")
        }
        Some(m) => {
            eprintln!("SKIPPED: the browser tests need {m}");
            None
        }
    }
}

/// Runs `node ui/tests/<script>` with `env`; returns the last JSON line it printed. On failure
/// the message holds the script's output and the centre's `log`, if given.
#[allow(dead_code)] // used by ui.rs, ui_station.rs and ui_missile.rs
pub fn run_script(ui: &Path, script: &str, env: &[(&str, String)], log: Option<&Path>) -> Value {
    let mut cmd = Command::new("node");
    cmd.arg(ui.join("tests").join(script)).current_dir(ui);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("node runs");
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- centre\n{}",
        out.status,
        log.map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default()
    );
    eprintln!("{stdout}");
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or_else(|| panic!("{script} printed no JSON summary:\n{stdout}"))
}

/// Where screenshots go: `target/ui-test-output/` (kept after the test for a look).
#[allow(dead_code)] // used by ui.rs, ui_station.rs and ui_missile.rs
pub fn output_dir() -> PathBuf {
    let dir = project_root().join("target/ui-test-output");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

/// A `[[user]]` table with an Argon2id hash of `password`.
#[allow(dead_code)] // used by ui.rs, ui_station.rs and ui_missile.rs
pub fn user_table(name: &str, role: &str, password: &str) -> String {
    format!(
        "[[user]]\nname = \"{name}\"\nrole = \"{role}\"\npassword_hash = \"{}\"\n\n",
        vigil_auth::hash_password(password).expect("hash")
    )
}
