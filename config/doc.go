// Package config loads, resolves and validates gatehouse's YAML
// configuration (SPEC §2, §9): defaults, secrets given inline, as
// NAME_file or by GATEHOUSE_<SECTION>_<NAME> env, production rules, and
// the generated secrets file of a zero-config data directory.
//
// Validation collects every problem with its YAML path and has no side
// effects; only EnsureDataDir writes, and only inside the data directory.
package config
