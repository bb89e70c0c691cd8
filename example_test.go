package libct_test

import (
	"fmt"
	"log"
	"os"

	"github.com/libct/libct"
)

// A frontend calls libct.Init first thing in main (tests do it in
// TestMain), opens a session, creates a container equipped with
// namespaces and runs a program in it.
func Example() {
	// func main() {
	//	libct.Init()
	//	...
	s, err := libct.Open("local", libct.WithRoot(os.TempDir()+"/libct-example"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	c, err := s.Create("example", &libct.Config{
		Namespaces: libct.NewPID | libct.NewUTS | libct.NewIPC | libct.NewNet,
		Hostname:   "sandbox",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Destroy()

	r, w, _ := os.Pipe()
	err = c.Spawn(&libct.Process{
		Args:   []string{"/bin/sh", "-c", `echo "$(hostname) runs me as pid $$"`},
		Stdout: w,
	})
	w.Close()
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _ := r.Read(buf)
	status, _ := c.Wait()
	fmt.Printf("%s%v\n", buf[:n], status)
	// Output:
	// sandbox runs me as pid 1
	// exit status 0
}

// Register makes a Go function startable as a container's init; its
// return value is the exit status.
func ExampleRegister() {
	// In main, before libct.Init:
	//	libct.Register("exit-with", func(arg []byte) int { ... })
	s, err := libct.Open("local", libct.WithRoot(os.TempDir()+"/libct-example"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	c, err := s.Create("example-func", &libct.Config{Namespaces: libct.NewPID})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Spawn(&libct.Process{Func: "exit-with", FuncArg: []byte("42")}); err != nil {
		log.Fatal(err)
	}
	status, _ := c.Wait()
	fmt.Println(status.Code)
	// Output: 42
}
