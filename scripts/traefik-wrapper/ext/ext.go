// Package ext stands in for Traefik's unpublished nested module
// github.com/traefik/traefik/dynamic/ext so that the wrapper builds from
// the public module proxy. The ForwardAuth middleware never uses it.
package ext

// HTTP is an empty stand-in for the unpublished type.
type HTTP struct{}

// Router is an empty stand-in for the unpublished type.
type Router struct{}

// RouterIng is an empty stand-in for the unpublished type.
type RouterIng struct{}

// ToRouter converts to the (empty) Router stand-in.
func (RouterIng) ToRouter() Router { return Router{} }
