// Package config loads, resolves and validates gatehouse's YAML
// configuration (docs/design.md "Running", "Configuration"): defaults, secrets given inline, as
// NAME_file or by GATEHOUSE_<SECTION>_<NAME> env, production rules, and
// the generated secrets file of a zero-config data directory.
//
// Validation collects every problem with its YAML path and has no side
// effects; only EnsureDataDir writes, and only inside the data directory.
//
// The steps, as main uses them:
//
//	cfg, err := config.Load(path, os.Getenv) // or config.FromDefaults(os.Getenv)
//	// serve: generate or load development secrets before validating
//	_, err = config.EnsureDataDir(cfg)
//	err = cfg.Validate() // *ValidationError; start only if !HasErrors()
//
// check-config runs Load and Validate, and in production mode also dials
// each Redis the config uses (internal/app CheckRedis, outside this
// package); it writes nothing.
//
// Precedence of secret sources: environment, then NAME_file, then the
// inline value; in development mode, secrets.yaml in the data directory
// fills whatever is still unset. config/reference.md documents every key
// and default.
//
// This package must never put a secret value in an error, a Problem or a
// formatted Config: secrets are held as signing.Secret, keyrings and Redis
// sections (URL and sentinel and cluster passwords) format redacted, and yaml type errors have their quoted values
// removed. It reads files only in Load (the config and the *_file
// secrets) and in EnsureDataDir/AddKeyringKey (the data directory), and it
// never sends network traffic.
package config
