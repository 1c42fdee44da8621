// Command gin-echo is a WebSocket echo server on Gin and gorilla/websocket, a
// third-party target of wsspec's own tests:
//
//	gin-echo -addr 127.0.0.1:PORT [-origins https://app.example,...] [-max-size BYTES]
//
// Every path is a WebSocket endpoint that echoes text and binary messages with
// their type. The handler is the usual shape of a Gin application: the request
// is upgraded by a websocket.Upgrader whose CheckOrigin accepts the listed
// browser origins and clients that send no Origin at all; any other Origin is
// refused with 403 before the upgrade.
package main

import (
	"flag"
	"log"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "address to listen on")
	origins := flag.String("origins", "",
		"comma-separated origins a browser page may connect from (a request without Origin is accepted)")
	maxSize := flag.Int64("max-size", 0, "close with 1009 on messages larger than this (0: no limit)")
	flag.Parse()

	allowed := map[string]bool{}
	for _, origin := range strings.Split(*origins, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			allowed[origin] = true
		}
	}
	upgrader := websocket.Upgrader{
		CheckOrigin: func(r *http.Request) bool {
			origin := r.Header.Get("Origin")
			return origin == "" || allowed[origin]
		},
	}

	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	router.GET("/*path", func(c *gin.Context) {
		echo(&upgrader, c, *maxSize)
	})
	log.Printf("gin echo server listening on ws://%s/", *addr)
	log.Fatal(router.Run(*addr))
}

// echo upgrades the request and sends every message back until the connection ends.
func echo(upgrader *websocket.Upgrader, c *gin.Context, maxSize int64) {
	conn, err := upgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has already answered with an HTTP error
	}
	defer conn.Close()
	if maxSize > 0 {
		conn.SetReadLimit(maxSize)
	}
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return // a close frame (answered by gorilla) or a protocol error (failed by it)
		}
		if err := conn.WriteMessage(kind, data); err != nil {
			return
		}
	}
}
