package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MariaDB's global status counters read before and after each run. They
// are server-wide: whatever else talks to this MariaDB during a run is
// counted too, which is why a run does not start on a busy machine and
// why each run reports the CPU that neither the server under test,
// MariaDB nor this tool used ("other").
var counterNames = []string{
	"Questions", "Com_stmt_prepare", "Com_stmt_execute", "Com_stmt_close", "Com_stmt_reset",
	"Com_select", "Com_insert", "Com_update", "Com_delete", "Com_begin", "Com_commit", "Com_rollback",
	"Com_set_option", "Connections", "Innodb_row_lock_waits", "Innodb_row_lock_time", "Innodb_deadlocks",
	"Innodb_data_fsyncs", "Bytes_received", "Bytes_sent",
}

const countingNote = `How statements and round trips are counted (MariaDB SHOW GLOBAL STATUS deltas over a run, divided by
the operations attempted, ok + errors):
  stmts/op = Questions: every statement the server executed for a client, sent as text (COM_QUERY,
             BEGIN and COMMIT included) or as a prepared-statement execution (COM_STMT_EXECUTE).
  trips/op = Questions + Com_stmt_prepare + Com_stmt_close: the commands a client sends. A statement with
             arguments sent as a server-side prepared statement is 3 (prepare, execute, close; the close
             gets no reply); with arguments interpolated client-side it is 1.
  This tool's own SHOW GLOBAL STATUS is subtracted. The counters are server-wide: the machine's MariaDB is
  shared (tests run on it), so a run starts only when the machine is quiet (-max-busy) and "other %" is the
  CPU that other processes used during the run (not the server under test, mariadbd or this tool;
  interrupts and softirqs, where loopback networking is charged, are shown apart as "irq"); "other
  writes" is what reached the disk beyond what those three wrote (commits wait for fsyncs, so other
  processes' disk writes slow the write runs without using CPU).
  CPU ms/op come from /proc/<pid>/stat (utime+stime) of the server process and of mariadbd; VmHWM is the
  server's peak RSS (each run starts a fresh server).`

type counters map[string]int64

// errBusy: the machine did not become quiet enough for a run.
var errBusy = errors.New("refusing to start a run")

func readCounters(ctx context.Context, db *sql.DB) (counters, error) {
	q := "SHOW GLOBAL STATUS WHERE Variable_name IN ('" + strings.Join(counterNames, "','") + "')"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := counters{}
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		c[strings.ToLower(name)] = n
	}
	return c, rows.Err()
}

func (c counters) get(name string) int64 { return c[strings.ToLower(name)] }

func (c counters) minus(b counters) counters {
	d := counters{}
	for k, v := range c {
		d[k] = v - b[k]
	}
	return d
}

// ---- /proc

// clkTck is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux
// (sysconf(_SC_CLK_TCK) needs cgo).
const clkTck = 100

// procTicks is utime+stime of a process, in clock ticks.
func procTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, nil
}

// procStatusKB reads a "VmHWM:   1234 kB" line of /proc/<pid>/status.
func procStatusKB(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// machineCPU is the whole machine's ticks (all CPUs): busy in processes
// (user, nice, system, steal), in interrupts (irq, softirq: loopback
// networking is mostly here, charged to no process), and idle (+ iowait).
func machineCPU() (busy, irq, idle int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, 0
	}
	v := make([]int64, len(f))
	for i := 1; i < len(f); i++ {
		v[i], _ = strconv.ParseInt(f[i], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	return v[1] + v[2] + v[3] + v[8], v[6] + v[7], v[4] + v[5]
}

// disk is the machine's disks' bytes written and milliseconds busy
// (/sys/block/<dev>/stat, whole disks: no loop, ram, zram or dm devices).
func disk() (written, busyMS int64) {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") || strings.HasPrefix(n, "dm-") {
			continue
		}
		b, err := os.ReadFile("/sys/block/" + n + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) < 10 {
			continue
		}
		sectors, _ := strconv.ParseInt(f[6], 10, 64)
		ticks, _ := strconv.ParseInt(f[9], 10, 64)
		written += sectors * 512
		busyMS = max(busyMS, ticks) // the busiest disk
	}
	return written, busyMS
}

// procWritten is the bytes a process caused to be written to disk
// (/proc/<pid>/io write_bytes).
func procWritten(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// findMariaDB finds mariadbd's pid: its pid file, else /proc.
func findMariaDB() int {
	for _, f := range []string{"/run/mysqld/mysqld.pid", "/var/run/mysqld/mysqld.pid"} {
		if b, err := os.ReadFile(f); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if _, err := procTicks(pid); err == nil {
					return pid
				}
			}
		}
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
			if c := strings.TrimSpace(string(b)); c == "mariadbd" || c == "mysqld" {
				return pid
			}
		}
	}
	return 0
}

// busyPercent samples the machine for d: the share of all CPUs busy, and
// the share of the time the busiest disk was busy; it returns the larger.
func busyPercent(ctx context.Context, d time.Duration) (pct int, what string) {
	b0, q0, i0 := machineCPU()
	_, d0 := disk()
	select {
	case <-ctx.Done():
		return 0, ""
	case <-time.After(d):
	}
	b1, q1, i1 := machineCPU()
	_, d1 := disk()
	busy := (b1 - b0) + (q1 - q0)
	cpu := int(100 * busy / (busy + (i1 - i0) + 1))
	dsk := int(100 * (d1 - d0) / d.Milliseconds())
	if dsk > cpu {
		return dsk, fmt.Sprintf("disk %d%% busy", dsk)
	}
	return cpu, fmt.Sprintf("CPUs %d%% busy", cpu)
}

// busiest lists the processes that used the most CPU over d.
func busiest(d time.Duration, n int) string {
	read := func() map[int]int64 {
		m := map[int]int64{}
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				if t, err := procTicks(pid); err == nil {
					m[pid] = t
				}
			}
		}
		return m
	}
	a := read()
	time.Sleep(d)
	b := read()
	type p struct {
		pid int
		pct float64
	}
	var ps []p
	for pid, t := range b {
		if dt := t - a[pid]; dt > 0 {
			ps = append(ps, p{pid, float64(dt) / clkTck / d.Seconds() * 100})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].pct > ps[j].pct })
	var out []string
	for i, x := range ps {
		if i >= n {
			break
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", x.pid))
		out = append(out, fmt.Sprintf("%s(pid %d) %.0f%%", strings.TrimSpace(string(comm)), x.pid, x.pct))
	}
	return strings.Join(out, ", ")
}

// waitQuiet waits until the machine's CPUs and disk are at most maxBusy %
// busy (2 s samples), for at most wait; then it gives up with an error
// naming the busiest processes.
func waitQuiet(ctx context.Context, maxBusy int, wait time.Duration, say func(string, ...any)) (int, error) {
	deadline := time.Now().Add(wait)
	for try := 1; ; try++ {
		b, what := busyPercent(ctx, 2*time.Second)
		if ctx.Err() != nil {
			return b, ctx.Err()
		}
		if b <= maxBusy {
			return b, nil
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("%w: %s (limit -max-busy %d%%) after waiting %s; busiest processes: %s",
				errBusy, what, maxBusy, wait, busiest(time.Second, 5))
		}
		if try == 1 || try%5 == 0 {
			say("  %s (limit %d%%), waiting (busiest processes: %s)", what, maxBusy, busiest(time.Second, 3))
		}
	}
}

// ---- one run's measurements

// probe is a reading taken at the start or the end of a run.
type probe struct {
	at                time.Time
	db                counters // nil on SQLite
	server, mariadb   int64    // ticks
	machBusy, machIRQ int64
	self              time.Duration
	diskW, diskMS     int64 // the disks: bytes written, ms busy
	ourW              int64 // bytes written by the server, mariadbd and this tool
}

func takeProbe(ctx context.Context, admin *sql.DB, serverPID, dbPID int) (probe, error) {
	p := probe{}
	if admin != nil {
		c, err := readCounters(ctx, admin)
		if err != nil {
			return p, fmt.Errorf("reading MariaDB counters: %w", err)
		}
		p.db = c
	}
	p.server, _ = procTicks(serverPID)
	if dbPID > 0 {
		p.mariadb, _ = procTicks(dbPID)
	}
	p.machBusy, p.machIRQ, _ = machineCPU()
	p.self = selfCPU()
	p.diskW, p.diskMS = disk()
	p.ourW = procWritten(serverPID) + procWritten(os.Getpid())
	if dbPID > 0 {
		p.ourW += procWritten(dbPID)
	}
	p.at = time.Now()
	return p, nil
}

// measured is what a run's two probes say.
type measured struct {
	db                  counters // deltas; nil on SQLite
	serverMS, mariadbMS float64  // CPU, total over the run
	selfMS              float64
	otherPct            float64 // of one CPU: processes' CPU other than the server's, mariadbd's and ours
	irqPct              float64 // of one CPU: interrupts and softirqs (loopback networking), no process's
	diskPct             float64 // the busiest disk's busy time
	otherWriteMiB       float64 // written to disk, less what the server, mariadbd and this tool wrote
	wall                time.Duration
}

func between(a, b probe) measured {
	m := measured{wall: b.at.Sub(a.at)}
	if a.db != nil {
		m.db = b.db.minus(a.db)
		m.db["questions"]-- // the closing SHOW GLOBAL STATUS counts itself
	}
	m.serverMS = float64(b.server-a.server) * 1000 / clkTck
	m.mariadbMS = float64(b.mariadb-a.mariadb) * 1000 / clkTck
	m.selfMS = float64(b.self-a.self) / float64(time.Millisecond)
	busyMS := float64(b.machBusy-a.machBusy) * 1000 / clkTck
	other := busyMS - m.serverMS - m.mariadbMS - m.selfMS
	m.otherPct = max(0, other/float64(m.wall.Milliseconds())*100)
	m.irqPct = float64(b.machIRQ-a.machIRQ) * 1000 / clkTck / float64(m.wall.Milliseconds()) * 100
	m.diskPct = float64(b.diskMS-a.diskMS) / float64(m.wall.Milliseconds()) * 100
	m.otherWriteMiB = max(0, float64((b.diskW-a.diskW)-(b.ourW-a.ourW))/(1<<20))
	return m
}

// cpus is the number of CPUs, for "of N×100 %" notes.
func cpus() int { return runtime.NumCPU() }
