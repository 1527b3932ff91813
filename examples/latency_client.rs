//! A cluster-aware client that measures per-request latency while slots move
//! (`scripts/bench-latency.sh`). It follows `MOVED` and `ASK` itself over plain async
//! connections (one per node), as a cluster client library does, so every redirect a
//! reshard causes is part of the latency it reports.
//!
//! ```text
//! latency_client load SEED KEYS SIZE [BIG_BYTES]
//!     write KEYS keys `lat:<i>` of SIZE bytes (and, with BIG_BYTES, one key `big:<n>`
//!     of that size in a slot below 1000, printed on stdout)
//! latency_client read SEED KEYS SIZE STOP_FILE [RATE] [BIG_KEY BIG_BYTES]
//!     GET the keys in turn, RATE requests per second in all (default 2000) over 4
//!     workers, until STOP_FILE exists; with BIG_KEY, STRLEN it every 100 ms; then print
//!     one JSON line: requests, p50/p99/p99.9/max in µs, failed, missing, redirects
//! ```
//!
//! STOP_FILE may hold when the operation started (Unix time in seconds, e.g. `date
//! +%s.%N`) and how long its process takes to launch, in ms (default 0): the latencies
//! then count only requests that started once the process had launched. Those before the
//! operation are reported apart (`before_requests`, `before_max_us`: the machine's own
//! noise, with nothing moving), and so are those of the launch (`launch_requests`,
//! `launch_max_us`): on the virtual machines this was measured on, starting any process
//! (`trib --version`, `redis-cli --version`) makes requests wait 2-4 ms, whatever the
//! process then does.
//!
//! With `LATENCY_CONTROL=HOST:PORT` (a standalone `redis-server` that nothing else uses)
//! the client also PINGs that server, 500 times a second, from the same process. Its
//! slowest PING during the operation (`control_max_us`) is what the machine and the
//! client process alone did to a request meanwhile. A request is counted as *shared*
//! when a control PING overlapping it in time took at least half as long: the same stall
//! hit a server that nothing moves from, so the machine (CPU stolen from the VM, the
//! client descheduled), not the operation, made it wait. `own_max_us` is the slowest
//! request that is not shared: the stall the operation itself caused, as far as one
//! machine can tell.
//!
//! A read that fails (an error after following redirects, or retrying TRYAGAIN /
//! CLUSTERDOWN for 5 s), returns nil (missing) or another value (failed) is counted and
//! reported; the benchmark treats any as a failure.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError, ServerErrorKind, Value};
use tokio::sync::Mutex;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WORKERS: usize = 4;

/// PINGs per second to the control server (`LATENCY_CONTROL`).
const CONTROL_RATE: f64 = 500.0;

/// The slot map and one connection per node, shared by the workers.
struct Cluster {
    owners: Mutex<Vec<String>>,
    conns: Mutex<HashMap<String, MultiplexedConnection>>,
}

enum Reply {
    Value(Value),
    Missing,
}

impl Cluster {
    async fn connect(seed: &str) -> Res<Arc<Cluster>> {
        let c = Cluster {
            owners: Mutex::new(vec![seed.to_string(); 16384]),
            conns: Mutex::new(HashMap::new()),
        };
        let mut conn = c.conn(seed).await?;
        let slots: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut conn)
            .await?;
        let mut owners = c.owners.lock().await;
        if let Value::Array(ranges) = slots {
            for r in ranges {
                let Value::Array(r) = r else { continue };
                let (Some(Value::Int(a)), Some(Value::Int(b)), Some(Value::Array(node))) =
                    (r.first(), r.get(1), r.get(2))
                else {
                    continue;
                };
                let (Some(Value::BulkString(ip)), Some(Value::Int(port))) =
                    (node.first(), node.get(1))
                else {
                    continue;
                };
                let addr = format!("{}:{port}", String::from_utf8_lossy(ip));
                for s in *a..=*b {
                    owners[s as usize] = addr.clone();
                }
            }
        }
        drop(owners);
        Ok(Arc::new(c))
    }

    async fn conn(&self, addr: &str) -> Res<MultiplexedConnection> {
        if let Some(c) = self.conns.lock().await.get(addr) {
            return Ok(c.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(None);
        let conn = Client::open(format!("redis://{addr}/"))?
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        self.conns
            .lock()
            .await
            .insert(addr.to_string(), conn.clone());
        Ok(conn)
    }

    /// Runs a one-key command, following MOVED (updating the slot map) and ASK.
    async fn run(&self, key: &str, cmd: &redis::Cmd, stats: &mut Stats) -> Res<Reply> {
        let slot = trib::model::key_slot(key.as_bytes()) as usize;
        let mut addr = self.owners.lock().await[slot].clone();
        let mut asking = false;
        let started = Instant::now();
        stats.path.clear();
        loop {
            let hop = Instant::now();
            let mut conn = self.conn(&addr).await?;
            let result: Result<Value, RedisError> = if asking {
                let mut p = redis::pipe();
                p.cmd("ASKING").ignore().add_command(cmd.clone());
                p.query_async::<Vec<Value>>(&mut conn)
                    .await
                    .map(|mut v| v.pop().unwrap_or(Value::Nil))
            } else {
                cmd.query_async(&mut conn).await
            };
            stats.path.push_str(&format!(
                "{}{addr} {}us {}; ",
                if asking { "ASKING " } else { "" },
                hop.elapsed().as_micros(),
                match &result {
                    Ok(_) => "ok".to_string(),
                    Err(e) => e.code().unwrap_or("error").to_string(),
                }
            ));
            match result {
                Ok(Value::Nil) => return Ok(Reply::Missing),
                Ok(v) => return Ok(Reply::Value(v)),
                Err(e) => {
                    let redirect = e.redirect_node().map(|(a, _)| a.to_string());
                    match (e.kind(), redirect) {
                        (ErrorKind::Server(ServerErrorKind::Moved), Some(to)) => {
                            stats.moved += 1;
                            self.owners.lock().await[slot] = to.clone();
                            addr = to;
                            asking = false;
                        }
                        (ErrorKind::Server(ServerErrorKind::Ask), Some(to)) => {
                            stats.ask += 1;
                            addr = to;
                            asking = true;
                        }
                        (
                            ErrorKind::Server(
                                ServerErrorKind::TryAgain | ServerErrorKind::ClusterDown,
                            ),
                            _,
                        ) if started.elapsed() < Duration::from_secs(5) => {
                            stats.retried += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        _ => return Err(e.into()),
                    }
                }
            }
        }
    }
}

/// The value of key `i`: its index, then filler up to `size` bytes.
fn value(i: usize, size: usize) -> Vec<u8> {
    let mut v = format!("{i}:").into_bytes();
    v.resize(size.max(v.len()), b'x');
    v
}

#[derive(Default)]
struct Stats {
    /// Every request: when it started (µs since the client started) and how long it took
    /// (µs).
    samples: Vec<(u64, u32)>,
    failed: u64,
    missing: u64,
    moved: u64,
    ask: u64,
    retried: u64,
    first_error: Option<String>,
    /// The hops of the last request (node, time, outcome).
    path: String,
    /// The hops of every request that took a millisecond or more, by when it started.
    slow: Vec<(u64, String)>,
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.samples.extend(o.samples);
        self.slow.extend(o.slow);
        self.failed += o.failed;
        self.missing += o.missing;
        self.moved += o.moved;
        self.ask += o.ask;
        self.retried += o.retried;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
    }

    fn fail(&mut self, why: String) {
        self.failed += 1;
        self.first_error.get_or_insert(why);
    }
}

async fn load(seed: &str, keys: usize, size: usize, big: Option<usize>) -> Res<()> {
    let cluster = Cluster::connect(seed).await?;
    let owners = cluster.owners.lock().await.clone();
    let mut by_owner: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..keys {
        let slot = trib::model::key_slot(format!("lat:{i}").as_bytes()) as usize;
        by_owner.entry(owners[slot].clone()).or_default().push(i);
    }
    for (addr, idx) in by_owner {
        let mut conn = cluster.conn(&addr).await?;
        let per = (4 << 20) / size.max(64) + 1;
        for chunk in idx.chunks(per) {
            let mut p = redis::pipe();
            for i in chunk {
                p.cmd("SET")
                    .arg(format!("lat:{i}"))
                    .arg(value(*i, size))
                    .ignore();
            }
            p.query_async::<()>(&mut conn).await?;
        }
    }
    if let Some(bytes) = big {
        let name = (0..)
            .map(|n| format!("big:{n}"))
            .find(|k| trib::model::key_slot(k.as_bytes()) < 1000)
            .unwrap_or_default();
        let mut stats = Stats::default();
        let mut set = redis::cmd("SET");
        set.arg(&name).arg(vec![b'b'; bytes]);
        cluster.run(&name, &set, &mut stats).await?;
        println!("{name}");
    }
    Ok(())
}

async fn read(
    seed: &str,
    keys: usize,
    size: usize,
    stop: PathBuf,
    rate: f64,
    big: Option<(String, usize)>,
) -> Res<()> {
    let cluster = Cluster::connect(seed).await?;
    let begun = Instant::now();
    let begun_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let per_worker = Duration::from_secs_f64(WORKERS as f64 / rate.max(1.0));
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let cluster = cluster.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut next = Instant::now();
            let mut i = w;
            let mut n = 0u64;
            loop {
                if n.is_multiple_of(64) && stop.exists() {
                    break;
                }
                n += 1;
                let k = i % keys.max(1);
                i += WORKERS;
                let key = format!("lat:{k}");
                let t = Instant::now();
                let r = cluster
                    .run(&key, redis::cmd("GET").arg(&key), &mut stats)
                    .await;
                let took = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                let at = t.duration_since(begun).as_micros() as u64;
                stats.samples.push((at, took));
                if took >= 1000 {
                    stats.slow.push((at, std::mem::take(&mut stats.path)));
                }
                match r {
                    Ok(Reply::Value(Value::BulkString(v))) if v == value(k, size) => {}
                    Ok(Reply::Value(other)) => {
                        stats.fail(format!("{key}: wrong value {other:.40?}"))
                    }
                    Ok(Reply::Missing) => stats.missing += 1,
                    Err(e) => stats.fail(format!("{key}: {e}")),
                }
                next += per_worker;
                let now = Instant::now();
                if next > now {
                    tokio::time::sleep(next - now).await;
                } else {
                    next = now;
                }
            }
            stats
        }));
    }
    if let Some((name, bytes)) = big {
        let cluster = cluster.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            while !stop.exists() {
                let r = cluster
                    .run(&name, redis::cmd("STRLEN").arg(&name), &mut stats)
                    .await;
                match r {
                    Ok(Reply::Value(Value::Int(n))) if n as usize == bytes => {}
                    Ok(Reply::Value(Value::Int(0))) | Ok(Reply::Missing) => stats.missing += 1,
                    Ok(Reply::Value(v)) => stats.fail(format!("{name}: STRLEN {v:?}")),
                    Err(e) => stats.fail(format!("{name}: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            stats
        }));
    }
    let control = match std::env::var("LATENCY_CONTROL") {
        Ok(addr) if !addr.is_empty() => {
            Some(tokio::spawn(control_pings(addr, stop.clone(), begun)))
        }
        _ => None,
    };
    let mut all = Stats::default();
    for t in tasks {
        all.merge(t.await?);
    }
    let mut control = match control {
        Some(task) => task.await??,
        None => Vec::new(),
    };
    control.sort_unstable();
    // When the operation started, in µs since the client did (0: count every request),
    // and when its process had launched.
    let marks = std::fs::read_to_string(&stop).unwrap_or_default();
    let mut marks = marks.split_whitespace().map(|m| m.parse::<f64>().ok());
    let from = marks
        .next()
        .flatten()
        .map(|secs| ((secs * 1e6) as u64).saturating_sub(begun_unix))
        .unwrap_or(0);
    let launched = from + marks.next().flatten().map_or(0, |ms| (ms * 1e3) as u64);
    let (mut during, mut before, mut launch) = (Vec::new(), Vec::new(), Vec::new());
    let mut worst = (0u32, 0u64);
    for &(at, took) in &all.samples {
        if at < from {
            before.push(took);
        } else if at < launched {
            launch.push(took);
        } else {
            during.push(took);
            if took > worst.0 {
                worst = (took, at);
            }
        }
    }
    during.sort_unstable();
    let pct = |p: f64| -> u32 {
        if during.is_empty() {
            return 0;
        }
        let i = ((during.len() as f64 * p).ceil() as usize).clamp(1, during.len());
        during[i - 1]
    };
    // Every request of 2 ms or more since the operation started, on stderr: when (ms into
    // the operation), how long (µs), and its hops.
    for &(at, took) in &all.samples {
        if at >= launched && took >= 2000 {
            let path = all
                .slow
                .iter()
                .find(|(a, _)| *a == at)
                .map_or("", |(_, p)| p);
            eprintln!(
                "slow: {} ms {took} us {}",
                (at - from) / 1000,
                path.trim_end_matches("; ")
            );
        }
    }
    let over = |us: u32| during.iter().filter(|&&t| t >= us).count();
    let control_during: Vec<(u64, u32)> = control
        .iter()
        .copied()
        .filter(|&(at, _)| at >= launched)
        .collect();
    let control_max = control_during.iter().map(|&(_, t)| t).max().unwrap_or(0);
    let own_max = all
        .samples
        .iter()
        .filter(|&&(at, took)| at >= launched && !shared(at, took, &control))
        .map(|&(_, took)| took)
        .max()
        .unwrap_or(0);
    let hops = all
        .slow
        .iter()
        .find(|(at, _)| *at == worst.1)
        .map(|(_, path)| path.trim_end_matches("; "))
        .unwrap_or("");
    println!(
        "{{\"requests\":{},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"over_1ms\":{},\"over_2ms\":{},\"before_requests\":{},\"before_max_us\":{},\"launch_requests\":{},\"launch_max_us\":{},\"control_requests\":{},\"control_max_us\":{},\"own_max_us\":{},\"failed\":{},\"missing\":{},\"moved\":{},\"ask\":{},\"retried\":{},\"first_error\":{:?},\"worst\":{:?}}}",
        during.len(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        during.last().copied().unwrap_or(0),
        over(1000),
        over(2000),
        before.len(),
        before.iter().max().copied().unwrap_or(0),
        launch.len(),
        launch.iter().max().copied().unwrap_or(0),
        control_during.len(),
        control_max,
        own_max,
        all.failed,
        all.missing,
        all.moved,
        all.ask,
        all.retried,
        all.first_error.unwrap_or_default(),
        format!(
            "at {} ms ({} ms into the operation): {hops}",
            worst.1 / 1000,
            worst.1.saturating_sub(from) / 1000,
        )
    );
    Ok(())
}

/// PINGs the control server at [`CONTROL_RATE`] until `stop` exists: when each started
/// (µs since `begun`) and how long it took (µs).
async fn control_pings(addr: String, stop: PathBuf, begun: Instant) -> Res<Vec<(u64, u32)>> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(None);
    let mut conn = Client::open(format!("redis://{addr}/"))?
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    let every = Duration::from_secs_f64(1.0 / CONTROL_RATE);
    let mut samples = Vec::new();
    let mut next = Instant::now();
    let mut n = 0u64;
    loop {
        if n.is_multiple_of(64) && stop.exists() {
            return Ok(samples);
        }
        n += 1;
        let t = Instant::now();
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        let took = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
        samples.push((t.duration_since(begun).as_micros() as u64, took));
        next += every;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        } else {
            next = now;
        }
    }
}

/// Whether a request (started at `at` µs, `took` µs) is shared with the control: some
/// control PING overlapping it in time took at least half as long. `control` is sorted.
fn shared(at: u64, took: u32, control: &[(u64, u32)]) -> bool {
    let end = at + u64::from(took);
    // A PING that overlaps started before the request ended; none lasts over 10 s.
    let from = control.partition_point(|&(c, _)| c + 10_000_000 < at);
    control[from..]
        .iter()
        .take_while(|&&(c, _)| c < end)
        .any(|&(c, t)| c + u64::from(t) > at && 2 * u64::from(t) >= u64::from(took))
}

fn usage() -> Res<()> {
    Err("usage: latency_client load SEED KEYS SIZE [BIG_BYTES] | read SEED KEYS SIZE STOP_FILE [RATE] [BIG_KEY BIG_BYTES]".into())
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num =
        |i: usize| -> Res<usize> { Ok(args.get(i).ok_or("missing argument")?.parse::<usize>()?) };
    match args.first().map(String::as_str) {
        Some("load") if args.len() >= 4 => {
            let big = if args.len() > 4 { Some(num(4)?) } else { None };
            load(&args[1], num(2)?, num(3)?, big).await
        }
        Some("read") if args.len() >= 5 => {
            let rate = match args.get(5) {
                Some(r) => r.parse()?,
                None => 2000.0,
            };
            let big = match (args.get(6), args.get(7)) {
                (Some(k), Some(b)) => Some((k.clone(), b.parse()?)),
                _ => None,
            };
            read(
                &args[1],
                num(2)?,
                num(3)?,
                PathBuf::from(&args[4]),
                rate,
                big,
            )
            .await
        }
        _ => usage(),
    }
}
