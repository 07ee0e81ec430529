/*
 * Segment wildcards and mixed globs
 */
path "secret/+/teamb" {
  capabilities = ["read"]
}
path "secret/+/+/config*" {
  capabilities = ["read", "list",]
}
path "kv/data/+/db-*" { capabilities = ["deny"] }
