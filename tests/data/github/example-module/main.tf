# A minimal module served by the GitHub double. Made by us for the tests.
variable "name" {
  type    = string
  default = "opendepot"
}

output "greeting" {
  value = "hello, ${var.name}"
}
