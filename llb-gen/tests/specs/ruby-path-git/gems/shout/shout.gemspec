Gem::Specification.new do |s|
  s.name = "shout"
  s.version = "0.2.0"
  s.summary = "Upper-cases (a path gem of the Rails-shaped fixture)"
  s.authors = ["Stagefile"]
  s.files = ["lib/shout.rb"]
  s.license = "Apache-2.0"
end
