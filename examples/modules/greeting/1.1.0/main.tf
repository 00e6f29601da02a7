# A tiny module with no providers, so `tofu init` and `terraform init` need no network.
variable "name" {
  type        = string
  description = "Who to greet."
  default     = "world"
}

variable "punctuation" {
  type        = string
  description = "How the greeting ends."
  default     = "!"
}

output "greeting" {
  value = "Hello, ${var.name}${var.punctuation}"
}
