package labrpc

import (
	"fmt"
	"sync"
)

// A Host is one name's place on a Network: what a server or a client needs,
// and nothing more. It makes ends that call under its name, and it adds and
// crashes the one server of its name. It cannot reach the network's fault
// controls (Reliable, Partition, DeleteServer, the journal, Cleanup) nor
// act under any other name: those belong to whoever made the Network,
// which is the test. StartServer and MakeClerk give a server or clerk a
// Host, never the Network itself.
//
// A Host is safe for concurrent use.
type Host struct {
	net  *Network
	name string

	mu  sync.Mutex
	srv *server // the server this host added; nil before AddServer
}

// Host returns a host for name on n. Each call returns a new host: a server
// that restarts gets a new one, so that crashing the old server never
// touches the new.
func (n *Network) Host(name string) *Host {
	return &Host{net: n, name: name}
}

// Name returns the name the host acts under.
func (h *Host) Name() string { return h.name }

// MakeEnd returns an end that calls under the host's name, as
// Network.MakeEnd(h.Name()) does.
func (h *Host) MakeEnd() *ClientEnd { return h.net.MakeEnd(h.name) }

// AddServer starts the server of the host's name, made of the given
// services, as Network.AddServer does. A host adds one server at most.
func (h *Host) AddServer(services ...any) error {
	if h.name == "" {
		return fmt.Errorf("labrpc: Host.AddServer: an anonymous host cannot serve")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		return fmt.Errorf("labrpc: Host.AddServer %q: this host has added its server already", h.name)
	}
	srv, err := h.net.addServer(h.name, services)
	if err != nil {
		return err
	}
	h.srv = srv
	return nil
}

// Crash crashes the server this host added, as DeleteServer does, if it
// still runs; a server of the same name added since by another host is not
// touched. A server's Kill method calls it.
func (h *Host) Crash() {
	h.mu.Lock()
	srv := h.srv
	h.mu.Unlock()
	if srv == nil {
		return
	}
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.servers[h.name] == srv {
		n.deleteLocked(h.name)
	}
}
