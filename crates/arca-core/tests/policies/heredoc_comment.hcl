# A policy whose comment mentions a heredoc-like text <<EOF that is not one
path "database/creds/readonly" {
  capabilities = [
    "read",
  ]
}
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" {
  capabilities = ["update"] # inline comment
}
