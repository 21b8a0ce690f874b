"""The e-commerce channel: products with live availability, online orders and returns, accounts."""
