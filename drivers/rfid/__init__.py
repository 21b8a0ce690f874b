"""UHF RFID readers: pure protocol cores, a pyserial transport, a reader simulator."""
