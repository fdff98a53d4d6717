// postfork-node through Debian's unmodified gocql (default ClusterConfig apart from the port).
// Usage: gocql_driver_test <path to postfork-node>
package main

import (
	"bufio"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gocql/gocql"
	"gopkg.in/inf.v0"
)

type node struct {
	cmd  *exec.Cmd
	port int
}

var readyRe = regexp.MustCompile(`ready: listening for CQL clients on [^ ]+:(\d+)`)

func startNode(binary, dataDir string, extra ...string) (*node, error) {
	cmd := exec.Command(binary, append([]string{"--port", "0", "--data-dir", dataDir}, extra...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := readyRe.FindStringSubmatch(sc.Text()); m != nil {
				p, _ := strconv.Atoi(m[1])
				ready <- p
			}
		}
	}()
	select {
	case p := <-ready:
		return &node{cmd: cmd, port: p}, nil
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("postfork-node not ready in 20s")
	}
}

func (n *node) stop(sig syscall.Signal) error {
	n.cmd.Process.Signal(sig)
	return n.cmd.Wait()
}

func connect(port int, keyspace string) (*gocql.Session, error) {
	cluster := gocql.NewCluster("127.0.0.1")
	cluster.Port = port
	cluster.Keyspace = keyspace
	cluster.Timeout = 10 * time.Second
	cluster.ConnectTimeout = 10 * time.Second
	return cluster.CreateSession()
}

func check(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("%s: %v", what, err))
	}
}

func expect(cond bool, format string, args ...interface{}) {
	if !cond {
		panic(fmt.Sprintf(format, args...))
	}
}

func run(binary string) (err error) {
	dataDir, err := os.MkdirTemp("", "postfork-node-gocql-")
	check(err, "tempdir")
	defer os.RemoveAll(dataDir)
	n, err := startNode(binary, dataDir)
	check(err, "start")
	defer func() {
		if n != nil {
			n.stop(syscall.SIGKILL)
		}
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()

	s, err := connect(n.port, "")
	check(err, "connect")
	check(s.Query(`CREATE KEYSPACE gk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`).Exec(), "create keyspace")
	check(s.Query(`CREATE TABLE gk.t (k int, c int, v text, PRIMARY KEY (k, c))`).Exec(), "create table")
	s.Close()

	s, err = connect(n.port, "gk")
	check(err, "connect gk")
	md, err := s.KeyspaceMetadata("gk")
	check(err, "metadata")
	expect(len(md.Tables["t"].PartitionKey) == 1 && md.Tables["t"].PartitionKey[0].Name == "k", "partition key %v", md.Tables["t"].PartitionKey)

	// CRUD, prepared (gocql prepares every statement with values).
	for c := 0; c < 5; c++ {
		check(s.Query(`INSERT INTO t (k, c, v) VALUES (?, ?, ?)`, 1, c, fmt.Sprint("v", c)).Exec(), "insert")
	}
	var v string
	check(s.Query(`SELECT v FROM t WHERE k = ? AND c = ?`, 1, 3).Scan(&v), "select")
	expect(v == "v3", "v = %q", v)
	check(s.Query(`UPDATE t SET v = ? WHERE k = ? AND c = ?`, "new", 1, 3).Exec(), "update")
	check(s.Query(`DELETE FROM t WHERE k = ? AND c = ?`, 1, 4).Exec(), "delete")
	check(s.Query(`INSERT INTO t (k, c, v) VALUES (?, ?, ?)`, 1, 2, nil).Exec(), "insert null")
	iter := s.Query(`SELECT c FROM t WHERE k = ? AND c > ? ORDER BY c DESC`, 1, 0).Iter()
	var cs []int
	var c int
	for iter.Scan(&c) {
		cs = append(cs, c)
	}
	check(iter.Close(), "slice")
	expect(reflect.DeepEqual(cs, []int{3, 2, 1}), "slice %v", cs)

	// Every native type.
	check(s.Query(`CREATE TABLE types (k int PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, dt date,
		de decimal, do double, f float, i inet, si smallint, t text, tm time, ts timestamp, tu timeuuid,
		ti tinyint, u uuid, vi varint)`).Exec(), "create types")
	ts := time.Date(2024, 2, 29, 13, 30, 54, 234000000, time.UTC)
	dt := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	vi, _ := new(big.Int).SetString("-1208925819614629174706176", 10)
	want := []interface{}{"ascii", int64(-1 << 62), []byte{0, 1, 255}, true, dt, inf.NewDec(-12345, 3),
		3.25, float32(1.5), net.ParseIP("10.1.2.3").To4(), int16(300), "héllo ✓", 13*time.Hour + 123,
		ts, gocql.TimeUUID(), int8(-5), gocql.MustRandomUUID(), vi}
	check(s.Query(`INSERT INTO types (k, a, b, bl, bo, dt, de, do, f, i, si, t, tm, ts, tu, ti, u, vi)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, want...).Exec(), "insert types")
	var got struct {
		a  string
		b  int64
		bl []byte
		bo bool
		dt time.Time
		de *inf.Dec
		do float64
		f  float32
		i  net.IP
		si int16
		t  string
		tm time.Duration
		ts time.Time
		tu gocql.UUID
		ti int8
		u  gocql.UUID
		vi *big.Int
	}
	check(s.Query(`SELECT a, b, bl, bo, dt, de, do, f, i, si, t, tm, ts, tu, ti, u, vi FROM types WHERE k = 1`).Scan(
		&got.a, &got.b, &got.bl, &got.bo, &got.dt, &got.de, &got.do, &got.f, &got.i, &got.si, &got.t, &got.tm,
		&got.ts, &got.tu, &got.ti, &got.u, &got.vi), "select types")
	gotVals := []interface{}{got.a, got.b, got.bl, got.bo, got.dt, got.de, got.do, got.f, got.i.To4(), got.si, got.t,
		got.tm, got.ts.UTC(), got.tu, got.ti, got.u, got.vi}
	for i := range want {
		w, g := want[i], gotVals[i]
		switch wv := w.(type) {
		case *inf.Dec:
			expect(wv.Cmp(g.(*inf.Dec)) == 0, "decimal %v != %v", g, w)
		case *big.Int:
			expect(wv.Cmp(g.(*big.Int)) == 0, "varint %v != %v", g, w)
		case time.Time:
			expect(wv.Equal(g.(time.Time)), "time %v != %v", g, w)
		default:
			expect(reflect.DeepEqual(w, g), "column %d: %#v != %#v", i, g, w)
		}
	}

	// Paging through 20,000 rows with gocql's default page size (5000).
	check(s.Query(`CREATE TABLE paged (p int, c int, PRIMARY KEY (p, c))`).Exec(), "create paged")
	batch := s.NewBatch(gocql.UnloggedBatch)
	for i := 0; i < 20000; i++ {
		batch.Query(`INSERT INTO paged (p, c) VALUES (?, ?)`, i%9, i)
		if len(batch.Entries) == 500 {
			check(s.ExecuteBatch(batch), "batch insert")
			batch = s.NewBatch(gocql.UnloggedBatch)
		}
	}
	iter = s.Query(`SELECT p, c FROM paged`).Iter()
	seen := map[int]bool{}
	var p int
	for iter.Scan(&p, &c) {
		seen[c] = true
	}
	check(iter.Close(), "paged scan")
	expect(len(seen) == 20000, "paged rows %d", len(seen))

	// Errors.
	err = s.Query(`SELECT * FROM nope`).Exec()
	var reqErr gocql.RequestError
	expect(errors.As(err, &reqErr) && reqErr.Code() == gocql.ErrCodeInvalid &&
		strings.Contains(reqErr.Message(), "table nope does not exist"), "unknown table: %v", err)
	err = s.Query(`CREATE TABLE t (k int PRIMARY KEY)`).Exec()
	var ae *gocql.RequestErrAlreadyExists
	expect(errors.As(err, &ae) && ae.Table == "t", "already exists: %v", err)
	err = s.Query(`SELEC 1`).Exec()
	expect(errors.As(err, &reqErr) && reqErr.Code() == gocql.ErrCodeSyntax, "syntax: %v", err)
	s.Close()

	// Restart and kill -9.
	check(n.stop(syscall.SIGTERM), "clean stop")
	n, err = startNode(binary, dataDir)
	check(err, "restart")
	s, err = connect(n.port, "gk")
	check(err, "reconnect")
	var count int64
	check(s.Query(`SELECT COUNT(*) FROM paged`).Scan(&count), "count")
	expect(count == 20000, "count after restart %d", count)
	check(s.Query(`INSERT INTO t (k, c, v) VALUES (?, ?, ?)`, 9, 9, "acked").Exec(), "acked write")
	s.Close()
	n.stop(syscall.SIGKILL)
	n, err = startNode(binary, dataDir)
	check(err, "restart after kill")
	s, err = connect(n.port, "gk")
	check(err, "reconnect after kill")
	check(s.Query(`SELECT v FROM t WHERE k = 9 AND c = 9`).Scan(&v), "read after kill")
	expect(v == "acked", "after kill: %q", v)
	modelTypes(s)
	userTypes(s)
	secondaryIndex(s)
	s.Close()
	return nil
}

// A secondary index queried with a bind marker, through gocql's paging.
func secondaryIndex(s *gocql.Session) {
	check(s.Query(`CREATE TABLE byv (k int, c int, v text, PRIMARY KEY (k, c))`).Exec(), "create byv")
	check(s.Query(`CREATE INDEX byv_v ON byv (v)`).Exec(), "create index")
	for i := 0; i < 30; i++ {
		check(s.Query(`INSERT INTO byv (k, c, v) VALUES (?, ?, ?)`, i%4, i, fmt.Sprint("g", i%3)).Exec(), "insert byv")
	}
	check(s.Query(`UPDATE byv SET v = 'moved' WHERE k = 0 AND c = 0`).Exec(), "overwrite indexed")
	iter := s.Query(`SELECT c FROM byv WHERE v = ?`, "g0").PageSize(4).Iter()
	var c int
	seen := 0
	for iter.Scan(&c) {
		expect(c%3 == 0 && c != 0, "indexed row c=%d", c)
		seen++
	}
	check(iter.Close(), "index query")
	expect(seen == 9, "index query returned %d rows", seen)
}

// Collections (with their update forms), a tuple and lightweight transactions through gocql's
// own mapping and its ScanCAS/MapScanCAS helpers.
func modelTypes(s *gocql.Session) {
	check(s.Query(`CREATE TABLE model (k int PRIMARY KEY, l list<int>, st set<text>, m map<text, int>, tu tuple<int, text>, n int)`).Exec(), "create model")
	check(s.Query(`INSERT INTO model (k, l, st, m, tu) VALUES (?, ?, ?, ?, (1, 'one'))`,
		1, []int{1, 2}, []string{"b", "a"}, map[string]int{"x": 1}).Exec(), "insert model")
	check(s.Query(`UPDATE model SET l = l + ?, st = st + ?, m[?] = ? WHERE k = 1`,
		[]int{3}, []string{"c"}, "y", 2).Exec(), "update model")
	var l []int
	var st []string
	var m map[string]int
	var tn int
	var tt string
	check(s.Query(`SELECT l, st, m, tu FROM model WHERE k = 1`).Scan(&l, &st, &m, &tn, &tt), "select model")
	expect(fmt.Sprint(l) == "[1 2 3]", "list %v", l)
	expect(fmt.Sprint(st) == "[a b c]", "set %v", st)
	expect(m["x"] == 1 && m["y"] == 2 && len(m) == 2, "map %v", m)
	expect(tn == 1 && tt == "one", "tuple (%d, %q)", tn, tt)

	applied, err := s.Query(`INSERT INTO model (k, n) VALUES (2, 10) IF NOT EXISTS`).ScanCAS()
	check(err, "insert if not exists")
	expect(applied, "first IF NOT EXISTS not applied")
	current := map[string]interface{}{}
	applied, err = s.Query(`UPDATE model SET n = 11 WHERE k = 2 IF n = 9`).MapScanCAS(current)
	check(err, "update if")
	expect(!applied && current["n"] == 10, "stale condition: applied=%v current=%v", applied, current)
	var n int
	applied, err = s.Query(`UPDATE model SET n = 11 WHERE k = 2 IF n = 10`).ScanCAS(&n)
	check(err, "update if (2)")
	expect(applied, "matching condition not applied")
}

// A user-defined type with gocql's struct mapping (`cql` tags), frozen and non-frozen, a field
// update and a field selection.
type address struct {
	Street string `cql:"street"`
	Zip    int    `cql:"zip"`
}

func userTypes(s *gocql.Session) {
	check(s.Query(`CREATE TYPE address (street text, zip int)`).Exec(), "create type")
	check(s.Query(`CREATE TABLE homes (k int PRIMARY KEY, a address, fa frozen<address>, many list<frozen<address>>)`).Exec(), "create homes")
	check(s.Query(`INSERT INTO homes (k, a, fa, many) VALUES (?, ?, ?, ?)`, 1,
		address{"Main", 1}, address{"Elm", 2}, []address{{"X", 3}, {"Y", 4}}).Exec(), "insert udt")
	check(s.Query(`UPDATE homes SET a.zip = ? WHERE k = 1`, 10).Exec(), "update udt field")
	var a, fa address
	var many []address
	check(s.Query(`SELECT a, fa, many FROM homes WHERE k = 1`).Scan(&a, &fa, &many), "select udt")
	expect(a == address{"Main", 10}, "non-frozen udt %+v", a)
	expect(fa == address{"Elm", 2}, "frozen udt %+v", fa)
	expect(len(many) == 2 && many[1] == address{"Y", 4}, "list of udts %+v", many)
	var street string
	check(s.Query(`SELECT fa.street FROM homes WHERE k = 1`).Scan(&street), "select udt field")
	expect(street == "Elm", "field selection %q", street)
}

// TLS with gocql's SslOptions (the node's certificate verified, host name included), login with
// gocql.PasswordAuthenticator, wrong credentials and plaintext refused, GRANT/REVOKE enforced.
func security(binary string) (err error) {
	dir, err := os.MkdirTemp("", "postfork-node-gocql-security-")
	check(err, "tempdir")
	defer os.RemoveAll(dir)
	cert, key := dir+"/node.pem", dir+"/node.key"
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
		"-out", cert, "-subj", "/CN=127.0.0.1", "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1").CombinedOutput()
	check(err, "openssl: "+string(out))
	n, err := startNode(binary, dir+"/db", "--authenticator", "Password", "--authorizer", "Cassandra",
		"--tls-cert", cert, "--tls-key", key)
	check(err, "start secured node")
	defer func() {
		n.stop(syscall.SIGTERM)
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	open := func(user, password string, tls bool) (*gocql.Session, error) {
		cluster := gocql.NewCluster("127.0.0.1")
		cluster.Port = n.port
		cluster.Timeout = 10 * time.Second
		cluster.ConnectTimeout = 5 * time.Second
		cluster.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
		if tls {
			cluster.SslOpts = &gocql.SslOptions{CaPath: cert, EnableHostVerification: true}
		}
		return cluster.CreateSession()
	}
	admin, err := open("cassandra", "cassandra", true)
	check(err, "admin login over TLS")
	defer admin.Close()
	check(admin.Query(`CREATE KEYSPACE sec WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`).Exec(), "create keyspace")
	check(admin.Query(`CREATE TABLE sec.t (k int PRIMARY KEY, v text)`).Exec(), "create table")
	check(admin.Query(`INSERT INTO sec.t (k, v) VALUES (1, 'one')`).Exec(), "insert")
	check(admin.Query(`CREATE ROLE app WITH PASSWORD = 'app-pw' AND LOGIN = true`).Exec(), "create role")

	_, err = open("app", "wrong", true)
	expect(err != nil && strings.Contains(err.Error(), "incorrect"), "wrong password: %v", err)
	_, err = open("cassandra", "cassandra", false)
	expect(err != nil, "plaintext connection to the TLS port was accepted")

	app, err := open("app", "app-pw", true)
	check(err, "app login")
	defer app.Close()
	var v string
	err = app.Query(`SELECT v FROM sec.t WHERE k = 1`).Scan(&v)
	var denied gocql.RequestError
	expect(errors.As(err, &denied) && denied.Code() == gocql.ErrCodeUnauthorized &&
		strings.Contains(err.Error(), "no SELECT permission"), "unauthorized select: %v", err)
	check(admin.Query(`GRANT SELECT ON TABLE sec.t TO app`).Exec(), "grant")
	check(app.Query(`SELECT v FROM sec.t WHERE k = ?`, 1).Scan(&v), "select after grant")
	expect(v == "one", "select after grant: %q", v)
	return nil
}

// Protocol v3 (gocql pinned to it) and, on v4, a custom payload (read and ignored), Unavailable,
// client warnings and a prepared statement across ALTER TABLE.
func transport(binary string) (err error) {
	dataDir, err := os.MkdirTemp("", "postfork-node-gocql-transport-")
	check(err, "tempdir")
	defer os.RemoveAll(dataDir)
	n, err := startNode(binary, dataDir)
	check(err, "start")
	defer func() {
		n.stop(syscall.SIGKILL)
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	cluster := gocql.NewCluster("127.0.0.1")
	cluster.Port = n.port
	cluster.ProtoVersion = 3
	cluster.Timeout = 10 * time.Second
	cluster.ConnectTimeout = 10 * time.Second
	s, err := cluster.CreateSession()
	check(err, "connect v3")
	defer s.Close()
	check(s.Query(`CREATE KEYSPACE v3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`).Exec(), "v3 keyspace")
	// gocql marshals date, time, smallint and tinyint only from v4 on (v3 carries them as custom
	// types, against Cassandra too): this table keeps to v3's own types.
	check(s.Query(`CREATE TABLE v3.t (k int, c int, ts timestamp, v text, PRIMARY KEY (k, c))`).Exec(), "v3 table")
	ts := time.Date(2024, 2, 29, 13, 30, 0, 0, time.UTC)
	batch := s.NewBatch(gocql.LoggedBatch)
	for c := 0; c < 30; c++ {
		batch.Query(`INSERT INTO v3.t (k, c, ts, v) VALUES (?, ?, ?, ?)`, 1, c, ts, fmt.Sprint("v", c))
	}
	check(s.ExecuteBatch(batch), "v3 batch")
	iter := s.Query(`SELECT c, ts, v FROM v3.t WHERE k = ?`, 1).PageSize(7).Iter()
	var c int
	var gotTs time.Time
	var v string
	rows := 0
	for iter.Scan(&c, &gotTs, &v) {
		expect(c == rows && gotTs.Equal(ts) && v == fmt.Sprint("v", c), "v3 row %d: %v %v", c, gotTs, v)
		rows++
	}
	check(iter.Close(), "v3 paged select")
	expect(rows == 30, "v3 rows %d", rows)

	v4 := gocql.NewCluster("127.0.0.1")
	v4.Port = n.port
	v4.ProtoVersion = 4
	v4.Timeout = 10 * time.Second
	s4, err := v4.CreateSession()
	check(err, "connect v4")
	defer s4.Close()
	payload := map[string][]byte{"tag": []byte("x"), "empty": {}}
	check(s4.Query(`SELECT v FROM v3.t WHERE k = ? AND c = ?`, 1, 5).CustomPayload(payload).Scan(&v),
		"custom payload")
	expect(v == "v5", "custom payload select %q", v)

	// Consistency levels needing more replicas than one node holds: Unavailable with counts.
	check(s4.Query(`CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`).Exec(), "rf3 keyspace")
	check(s4.Query(`CREATE TABLE rf3.t (k int PRIMARY KEY, v int)`).Exec(), "rf3 table")
	check(s4.Query(`INSERT INTO rf3.t (k, v) VALUES (1, 1)`).Consistency(gocql.One).Exec(), "rf3 ONE")
	err = s4.Query(`SELECT v FROM rf3.t WHERE k = 1`).Consistency(gocql.Quorum).Scan(&c)
	var unavailable *gocql.RequestErrUnavailable
	expect(errors.As(err, &unavailable) && unavailable.Consistency == gocql.Quorum &&
		unavailable.Required == 2 && unavailable.Alive == 1, "rf3 QUORUM: %v", err)
	// LWT and serial reads read the partition at QUORUM (LOCAL_QUORUM for LOCAL_SERIAL) after
	// Paxos, as Cassandra's Paxos v1 does: RF 3 on one node is unavailable at that level.
	applied, err := s4.Query(`INSERT INTO rf3.t (k, v) VALUES (2, 2) IF NOT EXISTS`).
		Consistency(gocql.One).SerialConsistency(gocql.Serial).ScanCAS()
	unavailable = nil
	expect(!applied && errors.As(err, &unavailable) && unavailable.Consistency == gocql.Quorum &&
		unavailable.Required == 2 && unavailable.Alive == 1, "rf3 SERIAL LWT: %v", err)
	err = s4.Query(`UPDATE rf3.t SET v = 3 WHERE k = 1 IF v = 1`).Consistency(gocql.One).
		SerialConsistency(gocql.LocalSerial).Exec()
	unavailable = nil
	expect(errors.As(err, &unavailable) && unavailable.Consistency == gocql.LocalQuorum &&
		unavailable.Required == 2 && unavailable.Alive == 1, "rf3 LOCAL_SERIAL LWT: %v", err)
	err = s4.Query(`SELECT v FROM rf3.t WHERE k = 1`).Consistency(gocql.Consistency(gocql.Serial)).Scan(&c)
	unavailable = nil
	expect(errors.As(err, &unavailable) && unavailable.Consistency == gocql.Quorum &&
		unavailable.Required == 2 && unavailable.Alive == 1, "rf3 SERIAL read: %v", err)

	// Client warnings reach gocql's Iter.Warnings.
	var count int64
	warned := s4.Query(`SELECT count(*) FROM rf3.t`).Consistency(gocql.One).Iter()
	warned.Scan(&count)
	warnings := warned.Warnings()
	check(warned.Close(), "count")
	expect(len(warnings) == 1 && warnings[0] == "Aggregation query used without partition key",
		"aggregation warning %q", warnings)
	// A read over tombstone_warn_threshold (1000): 1001 deleted set elements.
	check(s4.Query(`CREATE TABLE rf3.tomb (k int, c int, s set<int>, PRIMARY KEY (k, c))`).Exec(), "tomb table")
	deleted := make([]int, 1001)
	for i := range deleted {
		deleted[i] = i
	}
	check(s4.Query(`UPDATE rf3.tomb SET s = s - ? WHERE k = 1 AND c = 0`, deleted).Consistency(gocql.One).Exec(),
		"delete elements")
	tomb := s4.Query(`SELECT * FROM rf3.tomb WHERE k = 1`).Consistency(gocql.One).Iter()
	warnings = tomb.Warnings()
	check(tomb.Close(), "tomb read")
	expect(len(warnings) == 1 && warnings[0] == "Read 0 live rows and 1001 tombstone cells for query "+
		"SELECT * FROM rf3.tomb WHERE k = 1 LIMIT 5000 ALLOW FILTERING; token -4069959284402364209 "+
		"(see tombstone_warn_threshold)", "tombstone warning %q", warnings)

	// A prepared SELECT * after ALTER TABLE: the node drops the statement, gocql prepares it
	// again on UNPREPARED and reads the new column.
	var k, x int
	var y string
	check(s4.Query(`CREATE TABLE rf3.evolve (k int PRIMARY KEY, x int)`).Exec(), "evolve table")
	check(s4.Query(`INSERT INTO rf3.evolve (k, x) VALUES (?, ?)`, 1, 10).Consistency(gocql.One).Exec(), "evolve insert")
	check(s4.Query(`SELECT * FROM rf3.evolve WHERE k = ?`, 1).Consistency(gocql.One).Scan(&k, &x), "evolve select")
	check(s4.Query(`ALTER TABLE rf3.evolve ADD y text`).Exec(), "alter")
	check(s4.Query(`UPDATE rf3.evolve SET y = ? WHERE k = ?`, "why", 1).Consistency(gocql.One).Exec(), "evolve update")
	check(s4.Query(`SELECT * FROM rf3.evolve WHERE k = ?`, 1).Consistency(gocql.One).Scan(&k, &x, &y), "select after alter")
	expect(k == 1 && x == 10 && y == "why", "after alter: %d %d %q", k, x, y)
	return nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gocql_driver_test <postfork-node>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gocql driver test FAILED:", err)
		os.Exit(1)
	}
	if err := transport(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gocql transport test FAILED:", err)
		os.Exit(1)
	}
	if err := security(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gocql security test FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("gocql driver test: OK")
}
