// An echo client on gorilla/websocket's Dialer, for wsspec's --client-cmd:
//
//	gorilla-echo-client {url}
//
// Connects to the URL, echoes every text and binary message as it came until the
// connection closes, and leaves every rule to gorilla/websocket (its default close
// handler answers a close frame, its default ping handler answers pings). Built
// outside module mode from Debian's golang-github-gorilla-websocket-dev.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

const (
	maxMessage = 64 << 20 // the suite's largest message is 16 MiB
	idle       = 60 * time.Second
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gorilla-echo-client ws://HOST:PORT/PATH")
		os.Exit(2)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.Dial(os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorilla client:", err)
		os.Exit(1)
	}
	defer conn.Close()
	conn.SetReadLimit(maxMessage)
	for {
		conn.SetReadDeadline(time.Now().Add(idle))
		kind, message, err := conn.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				os.Exit(0)
			}
			fmt.Fprintln(os.Stderr, "gorilla client:", err)
			os.Exit(1)
		}
		if err := conn.WriteMessage(kind, message); err != nil {
			fmt.Fprintln(os.Stderr, "gorilla client:", err)
			os.Exit(1)
		}
	}
}
