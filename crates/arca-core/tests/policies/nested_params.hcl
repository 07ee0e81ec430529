// Vault accepts allowed_parameters as a nested block with quoted keys (HCL1).
path "sys/mounts/*" {
  capabilities = ["create", "update"]
  allowed_parameters {
    "type" = ["kv", "transit"]
    "description" = []
    "config" = []
  }
  denied_parameters {
    "seal_wrap" = []
  }
}

path "auth/token/create" {
  capabilities = ["update"]
  required_parameters = ["ttl"]
  allowed_parameters = {
    "ttl" = ["1h", "2h"]
    "*" = []
  }
}
