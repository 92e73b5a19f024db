# The Ruby part of the grouping corpus: the stdlib Logger with a JSON formatter that writes the
# exception's class, message and backtrace (as Rails' and lograge's JSON loggers do).
# Usage: ruby shop.rb OUT TRUTH COUNT
require 'json'
require 'logger'
require 'time'

module Orders
  def self.price(order)
    order.fetch(:price) * order.fetch(:quantity)
  end

  def self.checkout(order) = price(order)
  def self.reorder(order) = price(order) * 2
end

module Coupons
  def self.apply(code)
    raise ArgumentError, "unknown coupon #{code}" unless code.start_with?('SAVE')

    code[4..].to_i
  end
end

module Reports
  def self.ratio(hits, total)
    Integer(hits) / total
  end
end

def formatter
  proc do |severity, time, _progname, payload|
    message, error = payload
    record = { time: time.utc.iso8601(3), level: severity, service: 'shop-ruby', message: message }
    if error
      record[:error] = { class: error.class.name, message: error.message, backtrace: error.backtrace }
    end
    "#{JSON.generate(record)}\n"
  end
end

def scenarios(random)
  [
    ['orders-missing-key', -> { [Orders.method(:checkout), Orders.method(:reorder)].sample(random: random).call({ price: 3 }) }],
    ['coupons-unknown', -> { Coupons.apply(%w[FREE10 HALF X1].sample(random: random)) }],
    ['reports-zero', -> { Reports.ratio(random.rand(1..9).to_s, 0) }],
    ['reports-not-a-number', -> { Reports.ratio("n#{random.rand(100)}", 3) }]
  ]
end

out_path, truth_path, count = ARGV
logger = Logger.new(File.open(out_path, 'w'))
logger.formatter = formatter
random = Random.new(41)
all = scenarios(random)
File.open(truth_path, 'w') do |truth|
  count.to_i.times do
    group, raise_it = all.sample(random: random)
    begin
      raise_it.call
    rescue StandardError => e
      logger.error(['request failed', e])
      truth.puts("shop-ruby/#{group}")
    end
  end
end
