path "secret/data/app/*" { capabilities = ["read", "list"] }
path "secret/metadata/app/*" { capabilities = ["list"] }
path "transit/encrypt/app" { capabilities = ["update"] }
path "transit/decrypt/app" { capabilities = ["update"] min_wrapping_ttl = "1s" max_wrapping_ttl = "90s" }
