// go_bench: the comparative workloads with goroutines (the "go-1" and "go-2"
// systems: the harness runs it with GOMAXPROCS=1 and GOMAXPROCS=2). Standard
// library only; built with `go build go_bench.go`, no module needed.
//
//	go_bench switch N      two goroutines hand a turn back and forth N times
//	                       each way, waiting with runtime.Gosched
//	go_bench spawn N       start+wait N goroutines, in batches of 1000
//	go_bench sleepers N    N goroutines sleep 1 s concurrently
//	go_bench pipe N        N round trips of one byte through two os.Pipe pairs
//	go_bench echo PORT C   TCP echo server, a goroutine per connection with
//	                       net.Conn Read/Write; exits after C connections
//	                       have come and gone
//
// Results are printed as "METRIC name value unit" lines.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const batch = 1000

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_bench: "+format+"\n", args...)
	os.Exit(1)
}

// statusKiB returns a field of /proc/self/status in KiB (VmRSS, VmHWM), or -1.
func statusKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, field+":") {
			fields := strings.Fields(line[len(field)+1:])
			if len(fields) > 0 {
				v, err := strconv.ParseInt(fields[0], 10, 64)
				if err == nil {
					return v
				}
			}
		}
	}
	return -1
}

func raiseNofile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

func runSwitch(n int64) {
	var turn int32
	var wg sync.WaitGroup
	side := func(me int32) {
		defer wg.Done()
		for i := int64(0); i < n; i++ {
			spins := 0
			for atomic.LoadInt32(&turn) != me {
				runtime.Gosched()
				spins++
				if spins > 100000000 {
					die("switch: the other side never handed the turn back")
				}
			}
			atomic.StoreInt32(&turn, 1-me)
		}
	}
	t0 := time.Now()
	wg.Add(2)
	go side(0)
	go side(1)
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds())
	fmt.Printf("METRIC ns_per_switch %.2f ns\n", ns/(2*float64(n)))
}

func runSpawn(n int64) {
	var ran int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for done := int64(0); done < n; done += batch {
		k := n - done
		if k > batch {
			k = batch
		}
		wg.Add(int(k))
		for i := int64(0); i < k; i++ {
			go func() {
				atomic.AddInt64(&ran, 1)
				wg.Done()
			}()
		}
		wg.Wait()
	}
	ns := float64(time.Since(t0).Nanoseconds())
	if atomic.LoadInt64(&ran) != n {
		die("spawn: %d of %d goroutines ran", ran, n)
	}
	fmt.Printf("METRIC ns_per_spawn_join %.2f ns\n", ns/float64(n))
}

func runSleepers(n int64) {
	var started int64
	var wg sync.WaitGroup
	rss0 := statusKiB("VmRSS")
	t0 := time.Now()
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			atomic.AddInt64(&started, 1)
			time.Sleep(time.Second)
			wg.Done()
		}()
	}
	spawnNs := float64(time.Since(t0).Nanoseconds())
	// Wait (at most 30 s) until every sleeper has started its sleep.
	for i := 0; i < 30000 && atomic.LoadInt64(&started) < n; i++ {
		time.Sleep(time.Millisecond)
	}
	rssAsleep := statusKiB("VmRSS")
	wg.Wait()
	wall := time.Since(t0).Seconds()
	fmt.Printf("METRIC wall_s %.4f s\n", wall)
	fmt.Printf("METRIC rss_kib_per_thread %.3f KiB\n", float64(rssAsleep-rss0)/float64(n))
	fmt.Printf("INFO spawn_ns_per_thread %.1f started_before_rss %d\n", spawnNs/float64(n), atomic.LoadInt64(&started))
}

func runPipe(n int64) {
	thereR, thereW, err := os.Pipe()
	if err != nil {
		die("pipe: %v", err)
	}
	backR, backW, err := os.Pipe()
	if err != nil {
		die("pipe: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 1)
		for {
			if k, err := thereR.Read(b); k != 1 || err != nil || b[0] == 'q' {
				return
			}
			if k, err := backW.Write(b); k != 1 || err != nil {
				return
			}
		}
	}()
	b := []byte{'x'}
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		if k, err := thereW.Write(b); k != 1 || err != nil {
			die("pipe write: %v", err)
		}
		if k, err := backR.Read(b); k != 1 || err != nil {
			die("pipe read: %v", err)
		}
	}
	ns := float64(time.Since(t0).Nanoseconds())
	thereW.Write([]byte{'q'})
	<-done
	fmt.Printf("METRIC us_per_rtt %.3f us\n", ns/1e3/float64(n))
}

func serve(c net.Conn, wg *sync.WaitGroup) {
	defer wg.Done()
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		k, err := c.Read(buf)
		if k > 0 {
			if _, werr := c.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func runEcho(port int64, conns int64) {
	raiseNofile()
	ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		die("listen: %v", err)
	}
	fmt.Printf("LISTENING %d\n", port)
	var wg sync.WaitGroup
	for i := int64(0); i < conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			die("accept: %v", err)
		}
		wg.Add(1) // net.TCPConn has TCP_NODELAY on by default
		go serve(c, &wg)
	}
	ln.Close()
	wg.Wait()
	fmt.Printf("METRIC server_peak_rss_kib %d KiB\n", statusKiB("VmHWM"))
}

func count(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > 100000000 {
		fmt.Fprintf(os.Stderr, "go_bench: bad count '%s'\n", s)
		os.Exit(2)
	}
	return v
}

func main() {
	a := os.Args
	switch {
	case len(a) == 3 && a[1] == "switch":
		runSwitch(count(a[2]))
	case len(a) == 3 && a[1] == "spawn":
		runSpawn(count(a[2]))
	case len(a) == 3 && a[1] == "sleepers":
		runSleepers(count(a[2]))
	case len(a) == 3 && a[1] == "pipe":
		runPipe(count(a[2]))
	case len(a) == 4 && a[1] == "echo":
		runEcho(count(a[2]), count(a[3]))
	default:
		fmt.Fprintln(os.Stderr, "usage: go_bench switch|spawn|sleepers|pipe N | echo PORT CONNS")
		os.Exit(2)
	}
}
