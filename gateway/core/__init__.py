"""The core: errors, configuration, time, money, roles and credentials, imported by every
layer above and importing none of them."""
