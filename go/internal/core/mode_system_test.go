//go:build liberrgroup_system

package core

// systemBuild: the package links the installed liberrgroup.so.
const systemBuild = true
