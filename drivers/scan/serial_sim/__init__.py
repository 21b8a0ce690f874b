"""pyserial URL handlers for simulated scanners (registered by ``serial_port.register_simulator``)."""
