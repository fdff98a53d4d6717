// gocql's first session in a fresh process: ClusterConfig.CreateSession() with the defaults
// apart from port and keyspace. Usage: gocql_first_session PORT KEYSPACE
// Prints one line, "gocql_first_session_ms X".
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gocql/gocql"
)

func main() {
	port, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad port:", err)
		os.Exit(2)
	}
	t0 := time.Now()
	cluster := gocql.NewCluster("127.0.0.1")
	cluster.Port = port
	cluster.Keyspace = os.Args[2]
	session, err := cluster.CreateSession()
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	if err != nil {
		fmt.Fprintln(os.Stderr, "CreateSession:", err)
		os.Exit(1)
	}
	session.Close()
	fmt.Printf("gocql_first_session_ms %.4f\n", ms)
}
